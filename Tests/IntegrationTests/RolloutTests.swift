import Foundation
import Testing

extension IntegrationSuite {
    /// Rolling restarts with real workers that get ready through `wpkeepalive`.
    @Suite struct RolloutTests {
        /// Beats every 0.3 s; never gets ready while the file `broken` is in `dir`.
        static func worker(_ dir: String) -> String {
            """
            #!/bin/sh
            [ -e \(dir)/broken ] && exec sleep 1000
            while :; do \(Scripts.keepAlive()); sleep 0.3; done
            """
        }

        static func config(_ ws: Workspace, autotasks: String) -> String {
            ws.standardConfig(tasks: ["Work": worker(ws.path), "Other": worker(ws.path)], autotasks: autotasks)
        }

        /// The pids of running workers that are ready, from the JSON list.
        static func readyPids(_ m: Manager, _ task: String) async throws -> Set<pid_t> {
            let workers = try await m.json(.get, "/tasks/\(task)/list").json["workers"] as? [[String: Any]] ?? []
            return Set(workers.filter { $0["state"] as? String == "running" && $0["ready"] as? Bool == true }
                .compactMap { ($0["pid"] as? Int).map { pid_t($0) } })
        }

        static func waitReady(_ m: Manager, _ task: String, count: Int) async throws -> Set<pid_t> {
            var pids: Set<pid_t> = []
            let ok = try await eventually(timeout: .seconds(60)) {
                pids = try await readyPids(m, task)
                return pids.count == count
            }
            guard ok else { throw HarnessError("\(task): \(pids.count) ready, not \(count)\n\(m.stderr.text)") }
            return pids
        }

        @Test func everyWorkerIsReplacedAndTheReadyCountNeverDips() async throws {
            let ws = try Workspace()
            let config = Self.config(ws, autotasks: #"{"Work": {"cardinality": 3, "startup_timeout": 60000}}"#)
            try await withManager(ws, config: config) { m in
                let old = try await Self.waitReady(m, "Work", count: 3)
                let watcher = try await EventWatcher.connect(m, query: "?task=Work")
                defer { watcher.stop() }

                let reply = try await m.request(.post, "/tasks/Work/restart")
                #expect(reply.status == 200)
                #expect(reply.body == "Restarting Work workers\n")
                // A second one while it runs: 409.
                let again = try await m.json(.put, "/tasks/Work/restart")
                #expect(again.status == 409)
                #expect(again.json["error"] as? String == "a restart of Work is under way already")

                // Every sample of the list during the rollout has 3 ready workers or more.
                var samples = 0
                var sawProgress = false
                var finished = false
                while !finished {
                    let ready = try await Self.readyPids(m, "Work")
                    #expect(ready.count >= 3, "ready count dipped: \(ready)")
                    samples += 1
                    if let line = try await m.status("Work")["Rollout"] {
                        #expect(line.hasSuffix("/3 replaced"), "\(line)")
                        sawProgress = true
                    }
                    finished = watcher.events.of("rollout_finished").count == 1
                    if !finished, samples > 3000 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(finished)
                #expect(sawProgress)
                #expect(samples >= 2, "the rollout was never seen under way")
                let new = try await Self.readyPids(m, "Work")
                #expect(new.count == 3)
                #expect(new.isDisjoint(with: old))
                #expect(await eventually { old.allSatisfy { !ProcessTable.isAlive($0) } })
                #expect(try await m.status("Work")["Rollout"] == nil)

                // The event stream agrees: no old worker exited before as many new ones were ready.
                let events = watcher.events
                var readyNew = 0
                var exitedOld = 0
                for event in events {
                    let pid = (event["pid"] as? Int).map { pid_t($0) }
                    switch event["type"] as? String {
                    case "worker_ready": if let pid, !old.contains(pid) { readyNew += 1 }
                    case "worker_exited": if let pid, old.contains(pid) { exitedOld += 1 }
                    default: break
                    }
                    #expect(exitedOld <= readyNew, "an old worker left before its replacement was ready: \(events)")
                }
                #expect(exitedOld == 3)
                let started = try #require(events.of("rollout_started").first)
                #expect(started["max_surge"] as? Int == 1)
                #expect(started["max_unavailable"] as? Int == 0)
                #expect(events.of("rollout_progress").last?["replaced"] as? Int == 3)
                #expect(events.of("rollout_finished").first?["replaced"] as? Int == 3)
                let metrics = MetricsTests.parse(try await m.get("/metrics").body).samples
                #expect(MetricsTests.value(metrics, "wpm_rollouts_total", ["task": "Work", "result": "finished"]) == 1)
                #expect(MetricsTests.value(metrics, "wpm_rollouts_total", ["task": "Work", "result": "failed"]) == 0)
            }
        }

        @Test func aNewVersionThatNeverGetsReadyHaltsWithTheOldWorkersAlive() async throws {
            let ws = try Workspace()
            let config = Self.config(ws, autotasks: #"{"Work": {"cardinality": 3, "startup_timeout": 1500}}"#)
            try await withManager(ws, config: config) { m in
                let old = try await Self.waitReady(m, "Work", count: 3)
                _ = FileManager.default.createFile(atPath: ws.path + "/broken", contents: nil)
                let watcher = try await EventWatcher.connect(m, query: "?task=Work")
                defer { watcher.stop() }
                #expect(try await m.request(.post, "/tasks/Work/restart?max_surge=2").status == 200)
                await watcher.waitFor("the rollout failed") { $0.of("rollout_failed").count == 1 }
                let failed = try #require(watcher.events.of("rollout_failed").first)
                let reason = try #require(failed["reason"] as? String)
                #expect(reason.contains("not ready within startup_timeout (1500 ms)"), "\(reason)")
                #expect(try await m.status("Work")["Rollout"] == "failed (\(reason))")
                // The new ones go; every old one runs on.
                #expect(await eventually { (try? await m.workerPids("Work", includingStopping: true)).map(Set.init) == old })
                #expect(old.allSatisfy(ProcessTable.isAlive))
                #expect(try await Self.readyPids(m, "Work") == old)
                let json = try await m.taskJSON("Work")
                #expect((json["rollout"] as? [String: Any])?["state"] as? String == "failed")
                let metrics = MetricsTests.parse(try await m.get("/metrics").body).samples
                #expect(MetricsTests.value(metrics, "wpm_rollouts_total", ["task": "Work", "result": "failed"]) == 1)

                // Fixed: the next rollout replaces them and forgets the failure.
                try FileManager.default.removeItem(atPath: ws.path + "/broken")
                #expect(try await m.request(.post, "/tasks/Work/restart").status == 200)
                await watcher.waitFor("the next rollout finished", timeout: .seconds(90)) { $0.of("rollout_finished").count == 1 }
                #expect(try await m.status("Work")["Rollout"] == nil)
                #expect(try await Self.readyPids(m, "Work").isDisjoint(with: old))
            }
        }

        @Test func aStopAResizeOrAShutdownDuringARolloutLeaveNoWorkerBehind() async throws {
            let ws = try Workspace()
            let config = Self.config(
                ws, autotasks: #"{"Work": {"cardinality": 3, "startup_timeout": 60000}, "Other": {"cardinality": 2, "startup_timeout": 60000}}"#)
            try await withManager(ws, config: config) { m in
                _ = try await Self.waitReady(m, "Work", count: 3)
                let watcher = try await EventWatcher.connect(m, query: "?task=Work")
                defer { watcher.stop() }
                // Stop: every worker, old and new, goes; the rollout ends as failed (task stopped).
                #expect(try await m.request(.post, "/tasks/Work/restart").status == 200)
                #expect(try await m.request(.delete, "/tasks/Work").status == 200)
                await watcher.waitFor("the rollout ended by the stop") {
                    $0.of("rollout_failed").first?["reason"] as? String == "task stopped"
                }
                #expect(await eventually { (try? await m.workerPids("Work", includingStopping: true))?.isEmpty ?? true })
                #expect(try await m.status("Work")["Rollout"] == nil)

                // Resize to 1 during a rollout: it finishes with one worker.
                _ = try await m.get("/tasks/Work/start")
                _ = try await Self.waitReady(m, "Work", count: 3)
                #expect(try await m.request(.post, "/tasks/Work/restart?max_unavailable=1").status == 200)
                #expect(try await m.request(.put, "/tasks/Work/set/cardinality/1").status == 200)
                await watcher.waitFor("the resized rollout finished", timeout: .seconds(90)) { $0.of("rollout_finished").count == 1 }
                #expect(await eventually { (try? await m.workerPids("Work", includingStopping: true))?.count == 1 })

                // Shutdown during a rollout (finish checks that nothing is left).
                _ = try await Self.waitReady(m, "Other", count: 2)
                #expect(try await m.request(.post, "/tasks/Other/restart").status == 200)
            }
        }

        @Test func everyRunningTaskOneAfterAnother() async throws {
            let ws = try Workspace()
            let config = Self.config(
                ws, autotasks: #"{"Work": {"cardinality": 2, "startup_timeout": 60000}, "Other": {"cardinality": 1, "startup_timeout": 60000}}"#)
            try await withManager(ws, config: config) { m in
                let work = try await Self.waitReady(m, "Work", count: 2)
                let other = try await Self.waitReady(m, "Other", count: 1)
                let watcher = try await EventWatcher.connect(m)
                defer { watcher.stop() }
                let run = try await runConsole(["-host=\(m.host):\(m.port)", "restart"], workspace: ws)
                #expect(run.status == 0)
                #expect(run.stdout == "Restarting Other, Work workers, one task after another\n")
                #expect(try await m.request(.post, "/tasks/restart").status == 409)
                await watcher.waitFor("both rollouts finished", timeout: .seconds(120)) { $0.of("rollout_finished").count == 2 }
                let events = watcher.events.filter { ($0["type"] as? String)?.hasPrefix("rollout_") == true }
                let order = events.compactMap { e in (e["type"] as? String).map { "\($0) \(e["task"] as? String ?? "")" } }
                    .filter { !$0.hasPrefix("rollout_progress") }
                #expect(order == ["rollout_started Other", "rollout_finished Other", "rollout_started Work", "rollout_finished Work"])
                #expect(try await Self.readyPids(m, "Work").isDisjoint(with: work))
                #expect(try await Self.readyPids(m, "Other").isDisjoint(with: other))

                // One task through the console.
                let one = try await runConsole(["-host=\(m.host):\(m.port)", "restart", "Other"], workspace: ws)
                #expect(one.status == 0)
                #expect(one.stdout == "Restarting Other workers\n")
                await watcher.waitFor("Other restarted again", timeout: .seconds(90)) { $0.of("rollout_finished").count == 3 }
            }
        }

        @Test func wrongRestartRequestsAreRefused() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper, "Idle": Scripts.sleeper], autotasks: #"{"Work": {}}"#)
            try await withManager(ws, config: config) { m in
                _ = try await m.waitForWorkers("Work", count: 1)
                for (path, status, error) in [
                    ("/tasks/Work/restart?max_surge=x", 400, #"invalid max_surge "x": must be a whole number from 0 to 9999999"#),
                    ("/tasks/Work/restart?max_surge=-1", 400, #"invalid max_surge "-1""#),
                    ("/tasks/Work/restart?max_unavailable=", 400, #"invalid max_unavailable """#),
                    ("/tasks/Work/restart?max_surge=0&max_unavailable=0", 400, "max_surge and max_unavailable must not both be 0"),
                    ("/tasks/Work/restart?max_surge=0", 400, "max_surge and max_unavailable must not both be 0"),
                    ("/tasks/Work/restart?max_surge=1&max_surge=2", 400, "max_surge given more than once"),
                    ("/tasks/Work/restart?surge=1", 400, #"unknown parameter "surge" (allowed: max_surge, max_unavailable, format)"#),
                    ("/tasks/Idle/restart", 409, "Task Idle not running"),
                    ("/tasks/Nope/restart", 404, "unknown task Nope"),
                    ("/tasks/restart?max_unavailable=abc", 400, #"invalid max_unavailable "abc""#),
                    ("/tasks/restart?max_surge=0&max_unavailable=0", 400, "Work: max_surge and max_unavailable must not both be 0"),
                ] {
                    let reply = try await m.request(.post, path + (path.contains("?") ? "&" : "?") + "format=json")
                    #expect(reply.status == status, "\(path): \(reply.body)")
                    #expect((reply.json["error"] as? String)?.hasPrefix(error) == true, "\(path): \(reply.body)")
                }
                #expect(try await m.get("/tasks/Work/restart").status == 405)
                #expect(try await m.request(.delete, "/tasks/Work/restart").status == 405)
                #expect(try await m.request(.put, "/tasks/restart").status == 405)
                // `/tasks/restart` is still `/tasks/NAME` for GET: a task named "restart".
                let named = try await m.get("/tasks/restart")
                #expect(named.body == "ERROR: unknown task restart\n", "\(named.status) \(named.body)")
                // Nothing of it started a rollout.
                #expect(try await m.status("Work")["Rollout"] == nil)
            }
        }
    }
}
