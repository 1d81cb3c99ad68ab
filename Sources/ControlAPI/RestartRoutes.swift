import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Supervisor

/// Rolling restarts: `POST|PUT /tasks/NAME/restart` and `POST /tasks/restart`
/// (every running task, one after another), with `?max_surge=N` and
/// `?max_unavailable=N` (else the task's own keys). The reply comes when the
/// rollout has begun; status and events tell how it goes.
enum RestartRoutes {
    static let parameters = ["max_surge", "max_unavailable", "format"]

    static let routes: [ControlRoutes.Route] = [
        ControlRoutes.Route(path: "/tasks/:name/restart", methods: [.post, .put]) {
            supervisor, request, context throws(ControlError) in
            let task = ControlRoutes.parameter("name", context)
            let pace = try RestartRoutes.pace(request)
            _ = try await supervisor.restart(task, pace: pace)
            let text = "Restarting \(task) workers"
            return Reply(text: text + "\n", json: ["task": task, "result": "restarting", "message": text])
        },
        ControlRoutes.Route(path: "/reload", methods: [.post]) { supervisor, request, _ throws(ControlError) in
            for (key, _) in request.uri.queryParameters where key != "format" && key != "dry_run" {
                throw .badRequest("unknown parameter \"\(key)\" (allowed: dry_run, format)")
            }
            let dryRun = request.uri.queryParameters.getAll("dry_run").map { String($0) }
            guard dryRun.count <= 1, dryRun.allSatisfy({ ["1", "true", "0", "false"].contains($0) }) else {
                throw .badValue(setting: "dry_run", value: dryRun.joined(separator: ","), allowed: "must be 1, true, 0 or false, once")
            }
            let preview = dryRun.first == "1" || dryRun.first == "true"
            let report: ReloadReport
            do throws(ConfigError) {
                report = try await preview ? supervisor.reloadPreview() : supervisor.reload()
            } catch {
                throw .badConfig(error)
            }
            let lines = (preview ? ["dry run: nothing was changed; a reload would do this:"] : []) + report.lines
            return Reply(text: lines.map { $0 + "\n" }.joined(), json: report)
        },
        ControlRoutes.Route(path: "/tasks/restart", methods: [.post]) { supervisor, request, _ throws(ControlError) in
            let tasks = try await supervisor.restartAll(pace: try RestartRoutes.pace(request))
            let text = tasks.isEmpty ? "no active tasks\n" : "Restarting \(tasks.joined(separator: ", ")) workers, one task after another\n"
            return Reply(text: text, json: ["tasks": tasks])
        },
    ]

    /// The `max_surge`/`max_unavailable` the query gives (each nil when not
    /// given: the task's own), or why it is refused.
    static func pace(_ request: Request) throws(ControlError) -> RolloutPaceOverride {
        let query = request.uri.queryParameters
        for (key, _) in query where !parameters.contains(String(key)) {
            throw .badRequest("unknown parameter \"\(key)\" (allowed: \(parameters.joined(separator: ", ")))")
        }
        func value(_ key: String) throws(ControlError) -> Int? {
            let all = query.getAll(key)
            guard let first = all.first else { return nil }
            let text = String(first)
            guard all.count == 1 else { throw .badRequest("\(key) given more than once") }
            guard !text.isEmpty, text.count <= 7, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let number = Int(text)
            else { throw .badValue(setting: key, value: text, allowed: "must be a whole number from 0 to 9999999") }
            return number
        }
        return RolloutPaceOverride(maxSurge: try value("max_surge"), maxUnavailable: try value("max_unavailable"))
    }
}
