import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Supervisor

/// `GET /tasks/NAME/logs?lines=N`: the task's last output lines (kept in
/// memory for every task, see `RecentOutput`); `&follow=1`: those lines and
/// then every new one as Server-Sent Events, until the client goes away or
/// the manager shuts down. A client that does not keep up loses lines and is
/// told how many (`{"lines_lost":N}`); it never slows a worker or the manager.
enum LogsRoute {
    static let path = "/tasks/:name/logs"
    static let parameters = ["lines", "follow", "format"]
    static let defaultLines = 100
    static let greeting = ": wpm logs\n\n"
    static let heartbeat = ": ping\n\n"

    struct Query: Equatable {
        var lines = LogsRoute.defaultLines
        var follow = false
    }

    /// Why a query is refused (400).
    struct BadQuery: Error, Equatable { let message: String }

    /// The query of a request, or why it is refused.
    static func query(_ request: Request, maxLines: Int) -> Result<Query, BadQuery> {
        var query = Query()
        for (key, _) in request.uri.queryParameters where !parameters.contains(String(key)) {
            return .failure(
                BadQuery(message: "unknown parameter \"\(key)\" on /tasks/NAME/logs (allowed: \(parameters.joined(separator: ", ")))"))
        }
        if let raw = request.uri.queryParameters.get("lines") {
            guard let lines = Int(raw), (0...maxLines).contains(lines) else {
                return .failure(BadQuery(message: "lines must be a whole number from 0 to \(maxLines), got \"\(raw)\""))
            }
            query.lines = lines
        }
        if let raw = request.uri.queryParameters.get("follow") {
            switch raw {
            case "1", "true": query.follow = true
            case "0", "false": query.follow = false
            default: return .failure(BadQuery(message: "follow must be 1 or 0 (true or false), got \"\(raw)\""))
            }
        }
        return .success(query)
    }

    static func add(to router: Router<BasicRequestContext>, supervisor: any SupervisorControl) {
        router.get(RouterPath(path)) { request, context in
            let json = Reply.wantsJSON(request)
            let raw = context.parameters.get("name") ?? ""
            let task = ControlRoutes.percentDecoded(raw) ?? raw
            guard supervisor.taskNames.contains(task) else { return Reply.error(.unknownTask(task), json: json) }
            let recent = supervisor.recentOutput
            let query: Query
            switch Self.query(request, maxLines: recent.maxLines) {
            case .success(let q): query = q
            case .failure(let error): return Reply.failure(error.message, goStyle: true, status: .badRequest, json: json)
            }
            guard query.follow else {
                let lines = recent.last(query.lines, of: task)
                return Reply(text: lines.map(text).joined(), json: ["lines": lines]).response(json: json)
            }
            return stream(recent.follow(task, last: query.lines))
        }
    }

    /// One line as text: `TIME [PID] line` (as in the log files).
    static func text(_ line: WorkerOutputLine) -> String {
        "\(TextFormat.time(line.time)) [\(line.pid)] \(line.line)\n"
    }

    static func stream(_ following: OutputFollowing) -> Response {
        let headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { following.end() }
            var first = greeting
            for line in following.backlog { first += message(line) }
            try await writer.write(ByteBuffer(string: first))
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: EventsRoute.heartbeatInterval)
                            following.ping()
                        }
                    }
                    for await item in following {
                        switch item {
                        case .line(let line): try await writer.write(ByteBuffer(string: message(line)))
                        case .lost(let count): try await writer.write(ByteBuffer(string: "data: {\"lines_lost\":\(count)}\n\n"))
                        case .heartbeat: try await writer.write(ByteBuffer(string: heartbeat))
                        }
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                following.end()
            }
            try await writer.finish(nil)
        })
    }

    /// One SSE message: `data: {"line":...,"pid":...,"task":...,"time":...}`.
    static func message(_ line: WorkerOutputLine) -> String {
        let json = (try? Reply.encoder.encode(line)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "data: \(json)\n\n"
    }
}
