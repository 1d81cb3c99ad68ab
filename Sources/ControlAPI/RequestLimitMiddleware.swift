import HTTPTypes
import Hummingbird
import NIOCore

/// Refuses requests that are too large before any route sees them: a
/// request target (path and query) over `maxURIBytes` gets 414, a body over
/// `maxBodyBytes` 413 (announced by Content-Length, or found while reading a
/// chunked one; no route reads bodies, so they are read no further).
struct RequestLimitMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let maxURIBytes: Int
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let uriBytes = request.head.path?.utf8.count ?? 0
        if uriBytes > maxURIBytes {
            return Reply.failure(
                "request target of \(uriBytes) bytes is longer than the limit of \(maxURIBytes) bytes",
                goStyle: true, status: .uriTooLong, json: Reply.wantsJSON(request))
        }
        if let length = request.headers[.contentLength] {
            guard let bytes = Int(length), bytes >= 0 else {
                return Reply.failure(
                    "bad Content-Length \(length)", goStyle: true, status: .badRequest, json: Reply.wantsJSON(request))
            }
            if bytes > maxBodyBytes { return tooLarge(request, "of \(bytes) bytes ") }
            return try await next(request, context)
        }
        guard request.headers[.transferEncoding] != nil else { return try await next(request, context) }
        var request = request
        do {
            _ = try await request.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return tooLarge(request, "")
        }
        return try await next(request, context)
    }

    private func tooLarge(_ request: Request, _ size: String) -> Response {
        Reply.failure(
            "request body \(size)is larger than the limit of \(maxBodyBytes) bytes", goStyle: true, status: .contentTooLarge,
            json: Reply.wantsJSON(request))
    }
}
