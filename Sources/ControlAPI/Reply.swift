import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Supervisor

/// One answer in both forms: the text body and the JSON value.
struct Reply {
    let text: String
    let json: any Encodable
    /// The text body already written (`text` is then unused).
    var body: ByteBuffer?

    init(text: String, json: any Encodable) {
        self.text = text
        self.json = json
    }

    init(body: ByteBuffer, json: any Encodable) {
        self.text = ""
        self.json = json
        self.body = body
    }

    /// For a route that built only the form asked for (`wantsJSON`): the
    /// other form is empty.
    static func onlyText(_ text: String) -> Reply { Reply(text: text, json: NotBuilt()) }
    static func onlyText(body: ByteBuffer) -> Reply { Reply(body: body, json: NotBuilt()) }
    static func onlyJSON(_ json: any Encodable) -> Reply { Reply(text: "", json: json) }
    private struct NotBuilt: Encodable {}

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(TextFormat.time(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func wantsJSON(_ request: Request) -> Bool {
        if let format = request.uri.queryParameters.get("format") { return format == "json" }
        return request.headers[.accept]?.contains("application/json") ?? false
    }

    func response(json wantsJSON: Bool, status: HTTPResponse.Status = .ok) -> Response {
        if wantsJSON, let data = try? Reply.encoder.encode(json) {
            return Reply.body(String(decoding: data, as: UTF8.self) + "\n", status: status, type: "application/json")
        }
        if let body {
            return Response(
                status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: body))
        }
        return Reply.body(text, status: status, type: "text/plain; charset=utf-8")
    }

    static func body(_ text: String, status: HTTPResponse.Status, type: String) -> Response {
        Response(
            status: status, headers: [.contentType: type],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The status code of each refusal, decided here and nowhere else.
    static func status(of error: ControlError) -> HTTPResponse.Status {
        switch error {
        case .unknownTask: .notFound
        case .notRunning, .restarting, .paused: .conflict
        case .badValue, .cardinalityOutOfRange, .unknownSetting, .badRequest, .badConfig: .badRequest
        }
    }

    static func error(_ error: ControlError, json: Bool) -> Response {
        failure(error.plain, goStyle: error.isGoError, status: status(of: error), json: json)
    }

    /// A refusal: `message` is JSON's `error`; the text body is the same
    /// line, after the Go version's `ERROR: ` when `goStyle`.
    static func failure(_ message: String, goStyle: Bool, status: HTTPResponse.Status, json: Bool) -> Response {
        let text = (goStyle ? "ERROR: " : "") + message
        return Reply(text: text + "\n", json: ["error": message]).response(json: json, status: status)
    }

    /// 405, naming the methods the path takes (also in `Allow`).
    static func methodNotAllowed(_ request: Request, allowed methods: [HTTPRequest.Method]) -> Response {
        let allowed = methods.map(\.rawValue).joined(separator: ", ")
        var response = failure(
            "method \(request.method) not allowed on \(request.uri.path) (allowed: \(allowed))",
            goStyle: true, status: .methodNotAllowed, json: wantsJSON(request))
        response.headers[.allow] = allowed
        return response
    }
}
