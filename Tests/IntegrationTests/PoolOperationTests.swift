import Foundation
import Testing

/// Operations on a whole pool with real workers: a signal to every worker,
/// starting every autostart task, the backoff of a worker that crashes
/// after `min_uptime`.
extension IntegrationSuite {
@Suite struct PoolOperationTests {
    /// Appends its pid to `file` on every SIGUSR1.
    static func usr1Recorder(_ file: String) -> String {
        "#!/bin/sh\ntrap 'echo $$ >> \(file)' USR1\nwhile :; do sleep 0.2; done\n"
    }

    @Test func aSignalReachesEveryWorkerAndWrongOnesAreRefused() async throws {
        let ws = try Workspace()
        let file = ws.path + "/usr1"
        let config = ws.standardConfig(
            tasks: ["Trap": Self.usr1Recorder(file), "Idle": Scripts.sleeper], autotasks: #"{"Trap": {"cardinality": 3}}"#)
        try await withManager(ws, config: config) { m in
            let pids = try await m.waitForWorkers("Trap", count: 3)
            let reply = try await m.json(.post, "/tasks/Trap/signal/usr1")
            #expect(reply.status == 200, "\(reply.body)")
            #expect((reply.json["pids"] as? [Int])?.sorted() == pids.map(Int.init).sorted())
            #expect(reply.json["signal"] as? String == "SIGUSR1")
            let all = await eventually {
                let seen = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
                return Set(seen.split(separator: "\n").compactMap { pid_t($0) }) == Set(pids)
            }
            #expect(all, "workers that trapped USR1: \((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")")
            let text = try await m.request(.post, "/tasks/Trap/signal/SIGUSR1")
            #expect(text.status == 200)
            #expect(text.body == "Sent SIGUSR1 to 3 Trap worker(s)\n")
            // The workers trapped it: the same ones run.
            #expect(Set(try await m.workerPids("Trap")) == Set(pids))

            // Tried wrong.
            for (path, status, says) in [
                ("/tasks/Trap/signal/STOP", 400, "POST /tasks/NAME/pause"),
                ("/tasks/Trap/signal/SIGCONT", 400, "POST /tasks/NAME/resume"),
                ("/tasks/Trap/signal/FOO", 400, "must be a signal name, with or without SIG: HUP"),
                ("/tasks/Trap/signal/9", 400, "must be a signal name"),
                ("/tasks/Trap/signal/USR1?now=1", 400, "unknown parameter \"now\""),
                ("/tasks/Nope/signal/USR1", 404, "unknown task Nope"),
                ("/tasks/Idle/signal/USR1", 409, "Task Idle not running"),
            ] {
                let wrong = try await m.request(.post, path)
                #expect(wrong.status == status, "\(path): \(wrong.body)")
                #expect(wrong.body.contains(says), "\(path): \(wrong.body)")
            }
            #expect(try await m.request(.get, "/tasks/Trap/signal/USR1").status == 405)
            #expect(Set(try await m.workerPids("Trap")) == Set(pids))
        }
    }

    @Test func startAllStartsEveryAutostartTaskThatIsNotRunning() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["A": Scripts.sleeper, "B": Scripts.sleeper, "Manual": Scripts.sleeper],
            autotasks: #"{"A": {}, "B": {"cardinality": 2}, "Manual": {"autostart": false}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("B", count: 2)
            #expect(try await m.request(.delete, "/tasks/A").status == 200)
            _ = try await m.waitForWorkers("A", count: 0)
            let reply = try await m.json(.post, "/tasks/start")
            #expect(reply.status == 200)
            #expect(reply.json["started"] as? [String] == ["A"])
            _ = try await m.waitForWorkers("A", count: 1)
            #expect(try await m.request(.post, "/tasks/start").body == "no autostart task to start\n")
            #expect(try await m.request(.delete, "/tasks").status == 200)
            #expect(try await m.request(.post, "/tasks/start").body == "Started task A\nStarted task B\n")
            _ = try await m.waitForWorkers("B", count: 2)
            #expect((try await m.json(.get, "/tasks/Manual")).json["running"] as? Bool == false)
            let wrong = try await m.request(.post, "/tasks/start?all=1")
            #expect(wrong.status == 400)
            #expect(wrong.body.contains("unknown parameter \"all\""))
            // `GET /tasks/start` is still the status of a task named "start".
            #expect(try await m.request(.get, "/tasks/start").status == 404)
        }
    }

    @Test func aCrashAfterMinUptimeBacksOffUnlessBackoffResetIsZero() async throws {
        let ws = try Workspace()
        let crash = "#!/bin/sh\nsleep 1.5\nexit 1\n"
        let config = ws.standardConfig(
            tasks: ["Crash": crash, "Old": crash],
            autotasks: #"""
                {"Crash": {"backoff_initial": 500, "backoff_max": 4000},
                 "Old": {"backoff_initial": 500, "backoff_max": 4000, "backoff_reset": 0}}
                """#)
        try await withManager(ws, config: config) { m in
            var crash: [String: Any] = [:]
            var old: [String: Any] = [:]
            let backedOff = try await eventually(timeout: .seconds(90), every: .milliseconds(100)) {
                crash = try await m.json(.get, "/tasks/Crash").json
                old = try await m.json(.get, "/tasks/Old").json
                return crash["quick_failures"] as? Int ?? 0 >= 3
            }
            #expect(backedOff, "\(crash)")
            #expect(crash["backoff_reason"] as? String == "exit status 1" || crash["next_spawn_at"] == nil)
            // The same worker with backoff_reset 0 (the rule before it): never held back.
            #expect(old["quick_failures"] as? Int == 0, "\(old)")
            #expect((old["dead_workers"] as? Int ?? 0) >= 3, "\(old)")
            let settings = try await m.json(.get, "/tasks/Crash").json["settings"] as? [String: Any]
            #expect(settings?["backoff_reset"] as? Int == 60_000)
        }
    }
}
}
