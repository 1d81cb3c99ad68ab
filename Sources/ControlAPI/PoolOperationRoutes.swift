import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Supervisor

/// Operations on whole pools: `POST /tasks/NAME/signal/SIG` (to every
/// worker's process group), `POST /tasks/start` (every autostart task not
/// running), `POST /tasks/NAME/pause` and `/resume`.
enum PoolOperationRoutes {
    static let routes: [ControlRoutes.Route] = [
        ControlRoutes.Route(path: "/tasks/:name/signal/:signal", methods: [.post]) {
            supervisor, request, context throws(ControlError) in
            try onlyFormat(request)
            let task = ControlRoutes.parameter("name", context)
            let number = try PoolSignal.parse(ControlRoutes.parameter("signal", context))
            let pids = try await supervisor.signal(task, signal: number)
            let name = PoolSignal.name(number)
            let text = "Sent \(name) to \(pids.count) \(task) worker(s)"
            return Reply(text: text + "\n", json: SignalReply(task: task, signal: name, pids: pids.map(Int.init), message: text))
        },
        ControlRoutes.Route(path: "/tasks/start", methods: [.post]) { supervisor, request, _ throws(ControlError) in
            try onlyFormat(request)
            let started = await supervisor.startAll()
            let text = started.isEmpty ? "no autostart task to start\n" : started.map { "Started task \($0)\n" }.joined()
            return Reply(text: text, json: ["started": started])
        },
        ControlRoutes.Route(path: "/tasks/:name/pause", methods: [.post]) { supervisor, request, context throws(ControlError) in
            try onlyFormat(request)
            let task = ControlRoutes.parameter("name", context)
            let outcome = try await supervisor.pause(task)
            let text = outcome == .paused ? "Paused \(task) workers" : "Already paused \(task)"
            let result = outcome == .paused ? "paused" : "already_paused"
            return Reply(text: text + "\n", json: ["task": task, "result": result, "message": text])
        },
        ControlRoutes.Route(path: "/tasks/:name/resume", methods: [.post]) { supervisor, request, context throws(ControlError) in
            try onlyFormat(request)
            let task = ControlRoutes.parameter("name", context)
            let outcome = try await supervisor.resume(task)
            let text = outcome == .resumed ? "Resumed \(task) workers" : "Not paused \(task)"
            let result = outcome == .resumed ? "resumed" : "not_paused"
            return Reply(text: text + "\n", json: ["task": task, "result": result, "message": text])
        },
    ]

    /// These routes take no query parameter but `format`.
    static func onlyFormat(_ request: Request) throws(ControlError) {
        for (key, _) in request.uri.queryParameters where key != "format" {
            throw .badRequest("unknown parameter \"\(key)\" (allowed: format)")
        }
    }
}

struct SignalReply: Encodable {
    let task: String
    let signal: String
    let pids: [Int]
    let message: String
}
