import Foundation
import Testing

/// Busy-aware scale-down and the two-phase stop with real workers that
/// report `ready`/`working` and trap signals.
extension IntegrationSuite {
@Suite struct DrainTests {
    /// The first two workers to start report `working`, the others `ready`.
    static func mixed(_ dir: String) -> String {
        """
        #!/bin/sh
        if mkdir \(dir)/busy1 2>/dev/null || mkdir \(dir)/busy2 2>/dev/null; then
          args="--status working --job j$$"
        else
          args="--status ready"
        fi
        while :; do \(keepAliveCommand) --pid $$ --timeout 20000 $args; sleep 0.3; done
        """
    }

    @Test func aScaleDownFromFourToTwoStopsExactlyTheTwoIdleWorkers() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Mixed": Self.mixed(ws.path)], autotasks: #"{"Mixed": {"cardinality": 4, "ready_on": "status"}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Mixed", count: 4)
            var statuses: [Int: String] = [:]
            let reported = try await eventually {
                let workers = try await m.json(.get, "/tasks/Mixed/list").json["workers"] as? [[String: Any]] ?? []
                statuses = Dictionary(uniqueKeysWithValues: workers.compactMap { w in
                    (w["pid"] as? Int).flatMap { pid in (w["status"] as? String).map { (pid, $0) } }
                })
                return statuses.count == 4
            }
            #expect(reported, "\(statuses)")
            let busy = Set(statuses.filter { $0.value == "working" }.keys)
            let idle = Set(statuses.filter { $0.value == "ready" }.keys)
            #expect(busy.count == 2 && idle.count == 2, "\(statuses)")
            let watcher = try await EventWatcher.connect(m, query: "?task=Mixed")
            defer { watcher.stop() }
            #expect(try await m.get("/tasks/Mixed/set/cardinality/2").status == 200)
            let left = try await m.waitForWorkers("Mixed", count: 2)
            #expect(Set(left.map(Int.init)) == busy)
            await watcher.waitFor("two worker_stopping events") { $0.filter { $0["type"] as? String == "worker_stopping" }.count == 2 }
            let chosen = watcher.events.filter { $0["type"] as? String == "worker_stopping" }
            #expect(Set(chosen.compactMap { $0["pid"] as? Int }) == idle)
            #expect(chosen.allSatisfy { $0["reason"] as? String == "scale-down: idle (ready)" }, "\(chosen)")
            // Once more, 2 → 1: a working one goes, and it says which job.
            #expect(try await m.get("/tasks/Mixed/set/cardinality/1").status == 200)
            await watcher.waitFor("a third worker_stopping") { $0.filter { $0["type"] as? String == "worker_stopping" }.count == 3 }
            let third = watcher.events.filter { $0["type"] as? String == "worker_stopping" }.last
            #expect((third?["reason"] as? String)?.hasPrefix("scale-down: working (job j") == true, "\(String(describing: third))")
        }
    }

    /// Logs `drain`, `ready` and `term` with their times to `log`; works on
    /// its job until `done` exists (after the drain signal), then says ready.
    static func drainer(log: String, done: String?) -> String {
        let finished = done.map { "[ -e \($0) ]" } ?? "false"
        return """
            #!/bin/sh
            draining=0
            trap 'echo "drain $$ $(date +%s.%N)" >> \(log); draining=1' USR1
            trap 'echo "term $$ $(date +%s.%N)" >> \(log); exit 0' TERM
            while :; do
              if [ $draining = 1 ] && \(finished); then
                echo "ready $$ $(date +%s.%N)" >> \(log)
                \(keepAliveCommand) --pid $$ --timeout 20000 --status ready
              else
                \(keepAliveCommand) --pid $$ --timeout 20000 --status working --job long
              fi
              sleep 0.2
            done
            """
    }

    /// The lines of `log` as (what, pid, seconds).
    static func entries(_ log: String) -> [(what: String, pid: Int, at: Double)] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let pid = Int(parts[1]), let at = Double(parts[2]) else { return nil }
            return (String(parts[0]), pid, at)
        }
    }

    @Test func aWorkingWorkerGetsItsStopSignalOnlyOnceItSaysReadyOrAtDrainTimeout() async throws {
        let ws = try Workspace()
        let log = ws.path + "/drain.log"
        let done = ws.path + "/done"
        let config = ws.standardConfig(
            tasks: ["Finish": Self.drainer(log: log, done: done), "Stuck": Self.drainer(log: log, done: nil)],
            autotasks: #"""
                {"Finish": {"drain_signal": "USR1", "drain_timeout": 60000, "grace_period": 5000},
                 "Stuck": {"drain_signal": "SIGUSR1", "drain_timeout": 1500, "grace_period": 5000}}
                """#)
        try await withManager(ws, config: config) { m in
            let finish = try await m.waitForWorkers("Finish", count: 1)[0]
            let stuck = try await m.waitForWorkers("Stuck", count: 1)[0]
            #expect(await eventually { (try? await m.status("Finish")["Ready Workers"]) == "1 / 1" })
            #expect(await eventually { (try? await m.status("Stuck")["Ready Workers"]) == "1 / 1" })
            // One stopped by a scale-down, the other by a task stop.
            #expect(try await m.get("/tasks/Finish/set/cardinality/0").status == 200)
            #expect(try await m.request(.delete, "/tasks/Stuck").status == 200)
            #expect(await eventually { Self.entries(log).filter { $0.what == "drain" }.count == 2 }, "\(Self.entries(log))")
            // Finish is still at work: draining, no stop signal.
            #expect(try await m.status("Finish")["Draining Workers"] == "1")
            let list = try await m.json(.get, "/tasks/Finish/list").json["workers"] as? [[String: Any]]
            #expect(list?.first?["state"] as? String == "draining")
            #expect(list?.first?["stop_reason"] as? String == "scale-down: working (job long)")
            #expect(!Self.entries(log).contains { $0.what == "term" && $0.pid == Int(finish) })
            // Stuck never finishes: its stop signal comes at drain_timeout.
            #expect(await eventually { Self.entries(log).contains { $0.what == "term" && $0.pid == Int(stuck) } })
            let stuckLog = Self.entries(log).filter { $0.pid == Int(stuck) }
            let stuckWait = stuckLog.first { $0.what == "term" }!.at - stuckLog.first { $0.what == "drain" }!.at
            #expect(stuckWait >= 1.4, "\(stuckLog)")
            #expect(!Self.entries(log).contains { $0.what == "term" && $0.pid == Int(finish) })
            // Finish's job ends: it says ready, and only then gets its stop signal.
            _ = FileManager.default.createFile(atPath: done, contents: nil)
            #expect(await eventually { Self.entries(log).contains { $0.what == "term" && $0.pid == Int(finish) } })
            let order = Self.entries(log).filter { $0.pid == Int(finish) }.map(\.what)
            #expect(order.prefix(3) == ["drain", "ready", "term"], "\(order)")
            #expect(await eventually { m.liveWorkers().isEmpty })
            #expect(try await m.json(.get, "/tasks/Finish").json["exits"].flatMap { ($0 as? [String: Any])?["clean"] as? Int } == 1)
        }
    }
}
}
