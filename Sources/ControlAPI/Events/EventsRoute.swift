import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Supervisor

/// `GET /events`: the supervisor's lifecycle events as Server-Sent Events,
/// one JSON object per event (`id:` its sequence number, `data:` the JSON),
/// from the moment of the request on, until the client goes away or the
/// manager shuts down. `?task=NAME` (repeatable) keeps the events of those
/// tasks only.
enum EventsRoute {
    static let path = "/events"
    /// The query parameters `/events` understands.
    static let parameters = ["task", "format"]
    /// Sent first, so a client knows it is subscribed.
    static let greeting = ": wpm events\n\n"
    /// A comment sent this often: proxies keep the connection open, and a
    /// client that went away is noticed within this time.
    static let heartbeatInterval: Duration = .seconds(15)
    static let heartbeat = ": ping\n\n"

    /// Why a request for events is refused.
    enum Refusal: Error {
        case unknownTask(String)
        case badParameter(String)

        func response(json: Bool) -> Response {
            switch self {
            case .unknownTask(let task): Reply.error(.unknownTask(task), json: json)
            case .badParameter(let message): Reply.failure(message, goStyle: true, status: .badRequest, json: json)
            }
        }
    }

    /// The task filter of a request (nil: every task), or why it is refused.
    static func taskFilter(_ request: Request, known: [String]) throws(Refusal) -> Set<String>? {
        for (key, _) in request.uri.queryParameters where !parameters.contains(String(key)) {
            throw .badParameter(
                "unknown parameter \"\(key)\" on \(path) (allowed: \(parameters.joined(separator: ", ")))")
        }
        let tasks = request.uri.queryParameters.getAll("task").map { String($0) }
        guard !tasks.isEmpty else { return nil }
        for task in tasks {
            guard !task.isEmpty else { throw .badParameter("empty task name in ?task= (give a task name)") }
            guard known.contains(task) else { throw .unknownTask(task) }
        }
        return Set(tasks)
    }

    static func add(to router: Router<BasicRequestContext>, supervisor: any SupervisorControl) {
        router.get(RouterPath(path)) { request, _ in
            let filter: Set<String>?
            do throws(Refusal) {
                filter = try taskFilter(request, known: supervisor.taskNames)
            } catch {
                return error.response(json: Reply.wantsJSON(request))
            }
            // Subscribed before the reply starts: nothing after this request is missed.
            let subscription = supervisor.events.subscribe(tasks: filter)
            let headers: HTTPFields = [
                .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
            ]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                defer { subscription.end() }
                try await writer.write(ByteBuffer(string: greeting))
                try await withGracefulShutdownHandler {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while true {
                                try await Task.sleep(for: heartbeatInterval)
                                subscription.ping()
                            }
                        }
                        for await event in subscription {
                            try await writer.write(ByteBuffer(string: event.kind == .heartbeat ? heartbeat : message(event)))
                        }
                        group.cancelAll()
                    }
                } onGracefulShutdown: {
                    // Buffered events are still sent, then the stream ends.
                    subscription.end()
                }
                try await writer.finish(nil)
            })
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// One SSE message: `id: SEQ`, `data: JSON`, a blank line.
    static func message(_ event: SupervisorEvent) -> String {
        let json = (try? encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(event.sequence)\ndata: \(json)\n\n"
    }
}
