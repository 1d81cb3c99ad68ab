import Foundation
import Testing

extension IntegrationSuite {
    /// Readiness (first keep-alive, or `ready_on: "status"`) and the startup
    /// timeout, with real workers sending keep-alives through `wpkeepalive`.
    @Suite struct ReadinessTests {
        /// Beats without a status until the file `go.PID` appears in `dir`, then says `ready`.
        static func readyOnSignal(_ dir: String) -> String {
            """
            #!/bin/sh
            while :; do
              if [ -e \(dir)/go.$$ ]; then \(Scripts.keepAlive(status: "ready")); else \(Scripts.keepAlive()); fi
              sleep 0.3
            done
            """
        }

        @Test func readyAndNotReadyWorkersAreShownApart() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(
                tasks: ["Plain": Scripts.beater(interval: 0.3), "Status": Self.readyOnSignal(ws.path)],
                autotasks: #"{"Plain": {"cardinality": 2}, "Status": {"ready_on": "status"}}"#)
            try await withManager(ws, config: config) { m in
                let watcher = try await EventWatcher.connect(m, query: "?task=Status")
                defer { watcher.stop() }
                _ = try await m.waitForWorkers("Plain", count: 2)
                #expect(await eventually { (try? await m.status("Plain")["Ready Workers"]) == "2 / 2" })

                // Keep-alives without a status: alive, but not ready.
                let pid = try await m.waitForWorkers("Status", count: 1)[0]
                #expect(await eventually { (try? await m.taskJSON("Status")["keepalives_received"] as? Int ?? 0) ?? 0 >= 2 })
                var json = try await m.taskJSON("Status")
                #expect(json["ready_workers"] as? Int == 0)
                #expect(json["active_workers"] as? Int == 1)
                #expect(try await m.status("Status")["Ready Workers"] == "0 / 1")
                #expect(try await m.get("/tasks/Status/list").body.contains(",\tReady: false"))
                let listed = try await m.json(.get, "/tasks/Status/list").json["workers"] as? [[String: Any]]
                #expect(listed?.first?["ready"] as? Bool == false)
                #expect(watcher.events.of("worker_ready").isEmpty)
                func readyGauge(_ task: String) async throws -> Double? {
                    let samples = MetricsTests.parse(try await m.get("/metrics").body).samples
                    return MetricsTests.value(samples, "wpm_workers_ready", ["task": task])
                }
                #expect(try await readyGauge("Status") == 0)

                // Now it says `ready`.
                _ = FileManager.default.createFile(atPath: ws.path + "/go.\(pid)", contents: nil)
                #expect(await eventually { (try? await m.status("Status")["Ready Workers"]) == "1 / 1" })
                json = try await m.taskJSON("Status")
                #expect(json["ready_workers"] as? Int == 1)
                #expect(try await m.get("/tasks/Status/list").body.contains("Ready:") == false)
                await watcher.waitFor("worker_ready of \(pid)") { $0.of("worker_ready", pid: pid).count == 1 }
                #expect(try await readyGauge("Status") == 1)
                #expect(try await readyGauge("Plain") == 2)
            }
        }

        @Test func theStartupTimeoutIsNotTheStallTimeout() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(
                tasks: [
                    // Takes longer than its stall timeout to get ready, within its startup timeout.
                    "Slow": Scripts.beater(interval: 0.3, delay: 3),
                    // Never gets ready.
                    "Never": Scripts.sleeper,
                    // Ready, then silent: a stall.
                    "Silent": Scripts.readyThenSilent,
                ],
                autotasks: """
                    {"Slow": {"stall_timeout": 2000, "startup_timeout": 60000},
                     "Never": {"stall_timeout": 60000, "startup_timeout": 1000, "min_uptime": 5000},
                     "Silent": {"stall_timeout": 1000, "startup_timeout": 60000}}
                    """)
            try await withManager(ws, config: config) { m in
                let watcher = try await EventWatcher.connect(m)
                defer { watcher.stop() }
                let slow = try await m.waitForWorkers("Slow", count: 1)[0]

                // Never: stopped at its startup timeout, counted apart, backed off.
                await watcher.waitFor("a startup timeout of Never, its exit and a backoff") { events in
                    guard let timeout = events.of("worker_startup_timeout").first, let pid = timeout["pid"] as? Int,
                        timeout["task"] as? String == "Never"
                    else { return false }
                    return events.of("worker_exited", pid: pid_t(pid)).first?["reason"] as? String == "startup_timeout"
                        && events.contains { $0["type"] as? String == "backoff" && $0["task"] as? String == "Never" }
                }
                let timeout = try #require(watcher.events.of("worker_startup_timeout").first)
                #expect(timeout["after_ms"] as? Int ?? 0 >= 1000)
                let never = try await m.status("Never")
                #expect(Int(never["Startup Timeouts"] ?? "0") ?? 0 >= 1)
                #expect(never["Stalled Workers"] == "0")
                #expect(never["Restart backoff"]?.contains("not ready within startup_timeout (1000 ms)") == true, "\(never)")
                let exits = try await m.taskJSON("Never")["exits"] as? [String: Int]
                #expect(exits?["startup_timeout"] ?? 0 >= 1)
                #expect(exits?["stalled"] == 0)
                #expect(m.stderr.text.contains("worker not ready within startup_timeout (1000 ms)"))

                // Silent: ready, then a stall (not a startup timeout).
                await watcher.waitFor("a stall of Silent") { events in
                    events.contains { $0["type"] as? String == "worker_stalled" && $0["task"] as? String == "Silent" }
                }
                #expect(!watcher.events.contains { $0["type"] as? String == "worker_startup_timeout" && $0["task"] as? String == "Silent" })

                // Slow: silent for longer than its stall timeout at first, yet ready and kept.
                await watcher.waitFor("Slow ready") { $0.of("worker_ready", pid: slow).count == 1 }
                #expect(try await m.workerPids("Slow") == [slow])
                let slowStatus = try await m.status("Slow")
                #expect(slowStatus["Dead Workers"] == "0")
                #expect(slowStatus["Ready Workers"] == "1 / 1")
                #expect(!watcher.events.contains { $0["task"] as? String == "Slow" && $0["type"] as? String == "worker_exited" })
            }
        }
    }
}
