import Foundation
import Testing

extension IntegrationSuite {
    /// `--json`, `--verbose`, `--debug`; a log line for every worker lifecycle
    /// event; SIGUSR1's state dump.
    @Suite struct LoggingTests {
        static let timePattern = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#

        @Test func jsonLogsParseAndTellEveryEventOfAWorkersLife() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(
                tasks: ["Work": Scripts.sleeper, "Beat": Scripts.sleeper, "Quick": "#!/bin/sh\nexit 3\n", "Stubborn": Scripts.stubborn],
                autotasks: #"{"Work": {}, "Beat": {"stall_timeout": 1500, "startup_timeout": 60000}, "Quick": {}, "Stubborn": {}}"#)
            try await withManager(ws, config: config, arguments: ["-conf=\(config)", "--json", "--verbose"]) { m in
                // Killed by a signal nobody in the manager sent: a warning.
                let work = try await m.waitForWorkers("Work", count: 1)[0]
                #expect(await eventually { !m.logged("worker spawned", pid: work).isEmpty })
                kill(work, SIGKILL)
                #expect(await eventually { !m.logged("worker exited", pid: work).isEmpty })
                let exit = try #require(m.logged("worker exited", pid: work).first)
                #expect(exit["level"] as? String == "warning")
                #expect(exit["task"] as? String == "Work")
                #expect(exit["signal"] as? String == "SIGKILL")
                #expect(exit["exit"] as? String == "signaled")
                #expect(exit["status"] as? String == "killed by signal 9 (SIGKILL)")

                // First keep-alive, then silence: stalled, SIGTERM, exit.
                let beat = try await m.waitForWorkers("Beat", count: 1)[0]
                let publisher = try Publisher(m.keepAliveEndpoint)
                try publisher.beat("Beat", pid: beat)
                #expect(await eventually { !m.logged("worker exited", pid: beat).isEmpty })
                let first = try #require(m.logged("worker sent its first keep-alive", pid: beat).first)
                #expect(first["level"] as? String == "info")
                let stalled = try #require(m.logged("worker stalled", prefix: true, pid: beat).first)
                #expect(stalled["level"] as? String == "warning")
                #expect((stalled["silence_ms"] as? Int ?? 0) >= 1500)
                let term = try #require(m.logged("worker signalled", pid: beat).first)
                #expect(term["signal"] as? String == "SIGTERM")
                #expect(term["level"] as? String == "info")
                let stallExit = try #require(m.logged("worker exited", pid: beat).first)
                #expect(stallExit["exit"] as? String == "stalled")
                #expect(stallExit["level"] as? String == "info")

                // A worker that exits at once: a crash, and its task's spawns are held back.
                let quickHolds = { m.logged("spawns held back", prefix: true).filter { $0["task"] as? String == "Quick" } }
                #expect(await eventually { quickHolds().count >= 2 })
                let held = try #require(quickHolds().first)
                #expect(held["level"] as? String == "notice")
                // The first restart backoff: 1 s ± 20% jitter.
                #expect((held["delay_ms"] as? Int).map { $0 >= 800 && $0 <= 1200 } == true, "\(held)")
                let crash = try #require(m.logged("worker exited").first { $0["task"] as? String == "Quick" })
                #expect(crash["exit"] as? String == "crashed")
                #expect(crash["exit_code"] as? Int == 3)
                #expect(crash["level"] as? String == "warning")

                // Stopped but ignoring SIGTERM: SIGKILL after the grace period, a notice.
                let stubborn = try await m.waitForWorkers("Stubborn", count: 1)[0]
                _ = try await m.request(.delete, "/tasks/Stubborn")
                #expect(await eventually { !m.logged("worker exited", pid: stubborn).isEmpty })
                let signals = m.logged("worker signalled", pid: stubborn)
                #expect(signals.map { $0["signal"] as? String } == ["SIGTERM", "SIGKILL"])
                #expect(signals.map { $0["level"] as? String } == ["info", "notice"])
                #expect(m.logged("worker exited", pid: stubborn).first?["exit"] as? String == "clean")

                // Each event once; every line parses, with its time to the millisecond.
                for pid in [work, beat, stubborn] {
                    #expect(m.logged("worker spawned", pid: pid).count == 1)
                    #expect(m.logged("worker exited", pid: pid).count == 1)
                }
                #expect(m.logged("worker sent its first keep-alive", pid: beat).count == 1)
                for entry in m.jsonLog() {
                    let time = entry["time"] as? String ?? ""
                    #expect(time.range(of: Self.timePattern, options: .regularExpression) != nil, "\(entry)")
                    #expect(["debug", "info", "notice", "warning", "error", "critical"].contains(entry["level"] as? String ?? ""))
                    #expect(entry["message"] is String)
                    if let message = entry["message"] as? String, message.hasPrefix("worker ") {
                        #expect(entry["task"] is String && entry["pid"] is Int, "\(entry)")
                    }
                }
            }
        }

        @Test func levelsByFlagInEverySpelling() async throws {
            let ws = try Workspace()
            let cases: [([String], Set<String>)] = [
                (["-json"], ["notice"]),
                (["--json", "--verbose"], ["notice", "info"]),
                (["-json", "-verbose"], ["notice", "info"]),
                (["--json", "-debug"], ["notice", "info", "debug"]),
                (["-json", "--debug"], ["notice", "info", "debug"]),
            ]
            for (flags, expected) in cases {
                // A config (and so a state file) of its own: the task stopped
                // below would stay stopped in the next run.
                let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#)
                try await withManager(ws, config: config, arguments: ["-conf", config] + flags) { m in
                    let pid = try await m.waitForWorkers("Work", count: 1)[0]
                    _ = try await m.request(.delete, "/tasks/Work")
                    #expect(await eventually { !m.logged("task stopped").isEmpty })
                    #expect(await eventually { !ProcessTable.isAlive(pid) })
                    // The exit is reaped, and logged if the level shows it, before the next request.
                    _ = try await m.get("/tasks/Work")
                    let levels = Set(m.jsonLog().compactMap { $0["level"] as? String })
                    #expect(levels == expected, "\(flags): \(m.stderr.text)")
                    #expect(m.logged("worker spawned", pid: pid).count == (expected.contains("info") ? 1 : 0), "\(flags)")
                }
            }
            // Without --json: text lines.
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#)
            try await withManager(ws, config: config) { m in
                #expect(m.stderr.lines.contains { $0.contains(" notice wpmanager: ") && $0.contains("HTTP control API listening on") })
                #expect(!m.stderr.text.contains("{\"time\""))
            }
            let help = try Manager(ws, config: "", arguments: ["--help"])
            #expect(try await help.waitForExit() == 0)
            for flag in ["--verbose, -verbose", "--debug, -debug", "--json, -json", "SIGUSR1", "NOTIFY_SOCKET"] {
                #expect(help.stdout.text.contains(flag), "\(flag)")
            }
            for flags in [["-jsonx"], ["--json=yes"], ["--verbose=1"], ["-debug=true"]] {
                let (status, stderr) = try await runManager(["-conf=\(config)"] + flags, workspace: ws)
                #expect(status == 2, "\(flags): \(stderr)")
                #expect(stderr.lowercased().contains("usage: wpmanager"), "\(flags): \(stderr)")
            }
        }

        @Test func sigusr1LogsEveryTaskAndWorkerWithItsState() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(
                tasks: ["Alpha": Scripts.sleeper, "Idle": Scripts.sleeper], autotasks: #"{"Alpha": {"cardinality": 2}}"#)
            try await withManager(ws, config: config, arguments: ["-conf=\(config)", "-json"]) { m in
                let pids = try await m.waitForWorkers("Alpha", count: 2)
                kill(m.pid, SIGUSR1)
                #expect(await eventually { m.logged("worker ", prefix: true).count == 2 })
                let header = try #require(m.logged("state dump", prefix: true).first)
                #expect(header["tasks"] as? Int == 2)
                #expect(header["workers"] as? Int == 2)
                let alpha = try #require(m.logged("task Alpha: running").first)
                #expect(alpha["task"] as? String == "Alpha")
                #expect(alpha["active_workers"] as? Int == 2)
                #expect(alpha["cardinality"] as? Int == 2)
                #expect(alpha["started_at"] is String)
                let idle = try #require(m.logged("task Idle: stopped").first)
                #expect(idle["state"] as? String == "stopped")
                for pid in pids {
                    let line = try #require(m.logged("worker \(pid) of Alpha: running").first)
                    #expect(line["pid"] as? Int == Int(pid))
                    #expect(line["task"] as? String == "Alpha")
                    #expect(line["state"] as? String == "running")
                    #expect(line["keepalives"] as? Int == 0)
                }
                // It goes on as before.
                #expect(try await m.workerPids("Alpha").sorted() == pids.sorted())
                #expect(m.process.isRunning)
            }
        }
    }
}
