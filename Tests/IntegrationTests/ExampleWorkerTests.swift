import Foundation
import KeepAlive
import Testing

extension IntegrationSuite {
    /// The example workers of resources/examples, each run as a task of a real
    /// wpmanager: they keep themselves alive and stop cleanly on SIGTERM.
    @Suite struct ExampleWorkerTests {
        enum Example: String, CaseIterable, CustomTestStringConvertible {
            case python, php, shell, swift

            var testDescription: String { rawValue }
            var task: String { rawValue.capitalized + "Example" }

            /// The example file, which must be executable (copied as a task file, it runs as it is).
            var file: String {
                switch self {
                case .python: examplesDirectory + "/python/worker.py"
                case .php: examplesDirectory + "/php/ExampleTask.php"
                case .shell: examplesDirectory + "/shell/worker.sh"
                case .swift: swiftExampleWorker
                }
            }

            /// A task file that becomes the example worker (`exec` keeps the pid).
            func launcher() async throws -> String {
                switch self {
                case .python: "#!/bin/sh\nexec '\(try await Interpreters.pythonWithZMQ())' '\(file)'\n"
                case .php: "#!/bin/sh\nexec '\(try await Interpreters.phpWithZMQ())' '\(file)'\n"
                case .shell: "#!/bin/sh\nWPKEEPALIVE='\(keepAliveCommand)'\nexport WPKEEPALIVE\nexec '\(file)'\n"
                case .swift: "#!/bin/sh\nexec '\(file)'\n"
                }
            }
        }

        /// The examples beat every half second. The first keep-alives of a
        /// worker leave before its connection is up and are lost, so the
        /// stall timeout leaves room for a slow start on a busy machine.
        static let stallTimeout = 2000
        static let graceTime = 8000

        @Test(arguments: Example.allCases)
        func exampleWorkerStaysAliveAndStopsCleanlyOnSIGTERM(_ example: Example) async throws {
            #expect(FileManager.default.isExecutableFile(atPath: example.file), "\(example.file) is not executable")
            let ws = try Workspace()
            let name = example.task
            ws.task(name + "Task.sh", try await example.launcher())
            var settings = ws.testConfig(stall: Self.stallTimeout, grace: Self.graceTime, host: "localhost")
            settings.autotasks = [name: ["cardinality": 2, "capture_output": true]]
            let cfg = ws.config(settings)
            // --verbose: the expected exits below are logged at info.
            try await withManager(ws, config: cfg, arguments: ["-conf=\(cfg)", "--verbose"]) { m in
                let watcher = try KeepAliveWatcher(m.internalKeepAliveEndpoint, task: name)
                let pids = try await m.waitForWorkers(name, count: 2).sorted()

                // Both are heard from, with what they are doing.
                let heard = await eventually {
                    let entries = (try? await m.workerEntries(name)) ?? [:]
                    return pids.allSatisfy { (entries[$0]?["keepalives"] as? Int ?? 0) >= 1 }
                }
                #expect(heard, "no keep-alive from the workers\n\(m.stderr.text)\n\(m.stdout.text)")
                let before = try await m.taskJSON(name)["keepalives_received"] as? Int ?? 0

                // Several stall timeouts pass without a stall or a restart.
                let start = ContinuousClock.now
                var stalled = 0
                var pidsSeen: Set<[pid_t]> = []
                _ = await eventually(timeout: .seconds(60), every: .milliseconds(250)) {
                    let status = (try? await m.taskJSON(name)) ?? [:]
                    stalled = max(stalled, status["stalled_workers"] as? Int ?? 0)
                    if let now = try? await m.workerPids(name, includingStopping: true) { pidsSeen.insert(now.sorted()) }
                    return ContinuousClock.now - start >= .milliseconds(4 * Self.stallTimeout)
                }
                #expect(stalled == 0, "\(m.stderr.text)")
                #expect(pidsSeen == [pids])
                #expect(try await m.status(name)["Stalled Workers"] == "0")
                #expect(try await m.status(name)["Dead Workers"] == "0")
                #expect(try await m.workerPids(name) == pids)
                let status = try await m.taskJSON(name)
                let after = status["keepalives_received"] as? Int ?? 0
                // Two workers, two beats a second, for 8 s: about 32.
                #expect(after >= before + 16, "keep-alives \(before) -> \(after)")
                let entries = try await m.workerEntries(name)
                for pid in pids {
                    #expect(entries[pid]?["keepalives"] as? Int ?? 0 >= 8)
                    #expect(entries[pid]?["status"] as? String == "working")
                    #expect(Int(entries[pid]?["job"] as? String ?? "") ?? 0 >= 8)
                }
                let list = try await m.get("/tasks/\(name)/list").body
                #expect(list.contains("Status: working,\tJob: "), "\(list)")

                // Stopped: each finishes its unit, says it is stopping and exits 0.
                let reply = try await m.request(.delete, "/tasks/\(name)")
                #expect(reply.body == "Stopped \(name) workers\n")
                let gone = await eventually { pids.allSatisfy { !ProcessTable.isAlive($0) } }
                #expect(gone)
                var exits: [String: Int] = [:]
                #expect(await eventually {
                    exits = (try? await m.taskJSON(name))?["exits"] as? [String: Int] ?? [:]
                    return exits.values.reduce(0, +) == 2
                })
                #expect(exits == ["clean": 2, "crashed": 0, "signaled": 0, "stalled": 0, "startup_timeout": 0, "recycled": 0])
                // Clean not only because the manager asked: they ended on their
                // own with status 0, not by SIGTERM nor SIGKILL.
                let log = m.stderr.lines.filter { $0.contains("worker exited") }
                for pid in pids {
                    let line = log.first { $0.contains("pid=\(pid) ") }
                    #expect(line?.contains("status=exit status 0") == true, "\(log)")
                }
                let output = m.stdout.text + m.stderr.text
                var stopping: [KeepAliveMessage] = []
                #expect(await eventually {
                    stopping = ((try? watcher.received()) ?? []).filter { $0.status == .stopping }
                    return Set(stopping.map(\.pid)) == Set(pids)
                }, "stopping keep-alives: \(stopping)")
                for pid in pids {
                    #expect(output.contains("[\(name) \(pid)] \(name) worker \(pid) started"), "\(output)")
                    #expect(output.contains("[\(name) \(pid)] \(name) worker \(pid) stopping after job "), "\(output)")
                    let last = stopping.last { $0.pid == pid }
                    #expect(last?.message?.hasPrefix("stopped after job ") == true)
                }
                #expect(try await m.status(name)["Running"] == "false")
            }
        }
    }
}
