/// One HTTP request to a manager's control API (SPEC §4): the routes the Go
/// console used, with task names percent-encoded.
struct ManagerRequest: Equatable, Sendable, CustomStringConvertible {
    enum Method: String, Sendable {
        case get = "GET"
        case delete = "DELETE"
        case post = "POST"
    }

    let method: Method
    let path: String

    var description: String { "\(method.rawValue) \(path)" }

    static let list = ManagerRequest(method: .get, path: "/list")
}

extension Command {
    /// The request that carries out this command; nil for the commands the
    /// console answers itself (`help`, `quit`). `open` checks the manager
    /// answers by asking for its task names.
    var request: ManagerRequest? {
        switch self {
        case .open, .list:
            return .list
        case .status(let task):
            return ManagerRequest(method: .get, path: "/tasks" + Self.segment(task))
        case .start(.some(let task)):
            return ManagerRequest(method: .get, path: "/tasks\(Self.segment(task))/start")
        case .start(nil):
            return ManagerRequest(method: .post, path: "/tasks/start")
        case .signal(let task, let signal):
            return ManagerRequest(method: .post, path: "/tasks\(Self.segment(task))/signal\(Self.segment(signal))")
        case .pause(let task):
            return ManagerRequest(method: .post, path: "/tasks\(Self.segment(task))/pause")
        case .resume(let task):
            return ManagerRequest(method: .post, path: "/tasks\(Self.segment(task))/resume")
        case .stop(let task):
            return ManagerRequest(method: .delete, path: "/tasks" + Self.segment(task))
        case .set(let task, let setting, let value):
            return ManagerRequest(method: .get, path: "/tasks\(Self.segment(task))/set/\(setting.rawValue)/\(value)")
        case .listWorkers(let task):
            return ManagerRequest(method: .get, path: "/tasks\(Self.segment(task))/list")
        case .restart(let task):
            return ManagerRequest(method: .post, path: "/tasks\(Self.segment(task) + "/restart")")
        case .reload:
            return ManagerRequest(method: .post, path: "/reload")
        case .check(let task):
            return ManagerRequest(method: .get, path: "/readyz" + (task.map { "?task=" + Self.percentEncoded($0) } ?? ""))
        case .help, .quit, .watch, .tail, .top:
            return nil
        }
    }

    /// The event stream `watch` follows: every task's, or one task's.
    static func eventsPath(task: String?) -> String {
        "/events" + (task.map { "?task=" + percentEncoded($0) } ?? "")
    }

    /// The output lines `tail` asks for: the last `lines`, and with `follow` a stream.
    static func logsPath(task: String, lines: Int, follow: Bool) -> String {
        "/tasks/\(percentEncoded(task))/logs?lines=\(lines)" + (follow ? "&follow=1" : "")
    }

    /// `/NAME` percent-encoded, or nothing for no task.
    private static func segment(_ task: String?) -> String {
        task.map { "/" + percentEncoded($0) } ?? ""
    }

    /// Every byte but the unreserved characters of RFC 3986 as `%XX`, so a
    /// task name is always exactly one path segment (`.` and `..` too).
    static func percentEncoded(_ text: String) -> String {
        if text == "." || text == ".." { return String(repeating: "%2E", count: text.count) }
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return result
    }
}
