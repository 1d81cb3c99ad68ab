import Foundation
import Testing

extension IntegrationSuite {
    /// The status splits dead workers by how they ended (text keys and JSON `exits`).
    @Suite struct ExitBreakdownTests {
        /// Waits until the test writes `EXIT` into `$0.exit.$$`, then exits with it.
        static let waiter = "#!/bin/sh\nwhile [ ! -s \"$0.exit.$$\" ]; do sleep 0.05; done\nexit $(cat \"$0.exit.$$\")\n"

        @Test func deadWorkersAreSplitIntoCleanCrashedKilledAndStalled() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(
                tasks: ["Work": Self.waiter, "Silent": Scripts.readyThenSilent],
                autotasks: #"{"Work": {"cardinality": 4}, "Silent": {"stall_timeout": 1000, "startup_timeout": 60000}}"#)
            try await withManager(ws, config: config) { m in
                let pids = try await m.waitForWorkers("Work", count: 4)
                func exit(_ pid: pid_t, _ code: String) {
                    _ = FileManager.default.createFile(atPath: ws.tasks + "/WorkTask.sh.exit.\(pid)", contents: Data(code.utf8))
                }
                exit(pids[0], "0")
                exit(pids[1], "3")
                exit(pids[2], "1")
                kill(pids[3], SIGKILL)
                var status: [String: String] = [:]
                #expect(await eventually {
                    status = (try? await m.status("Work")) ?? [:]
                    return status["Dead Workers"] == "4"
                })
                #expect(status["Clean Exits"] == "1")
                #expect(status["Crashed Workers"] == "2")
                #expect(status["Killed Workers"] == "1")
                #expect(status["Stalled Workers"] == "0")
                let json = try await m.taskJSON("Work")
                #expect(json["exits"] as? [String: Int] == ["clean": 1, "crashed": 2, "signaled": 1, "stalled": 0, "startup_timeout": 0, "recycled": 0])
                // Sorted into the block.
                let keys = try await m.get("/tasks/Work").body.split(separator: "\n").map { String($0.split(separator: ":")[0]) }
                #expect(keys == keys.sorted())
                #expect(keys.contains("Killed Workers"))

                // Stalled (ready, then silent): counted apart, not as killed.
                var silent: [String: String] = [:]
                #expect(await eventually {
                    silent = (try? await m.status("Silent")) ?? [:]
                    return Int(silent["Dead Workers"] ?? "") ?? 0 >= 1
                })
                #expect(silent["Stalled Workers"].flatMap { Int($0) } ?? 0 >= 1)
                #expect(silent["Killed Workers"] == "0")
                #expect(silent["Crashed Workers"] == "0")
                #expect(silent["Clean Exits"] == "0")
                // A stop ends the rest (the four replacements) cleanly.
                _ = try await m.waitForWorkers("Work", count: 4)
                _ = try await m.request(.delete, "/tasks/Work")
                #expect(await eventually { (try? await m.status("Work")["Clean Exits"]) == "5" })
            }
        }
    }
}
