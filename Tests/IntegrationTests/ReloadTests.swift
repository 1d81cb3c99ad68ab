import Foundation
import Testing

extension IntegrationSuite {
    /// Config reload (SIGHUP, POST /reload, `wpconsole reload`) with real workers.
    @Suite struct ReloadTests {
        /// Beats every 0.3 s (its arguments show in its command line).
        static let worker = "#!/bin/sh\nwhile :; do \(Scripts.keepAlive()); sleep 0.3; done\n"

        /// The config text with `autotasks`, at a fixed file the test rewrites.
        static func write(_ ws: Workspace, _ file: String, autotasks: String, extra: [String: JSON] = [:]) {
            let text = ws.testConfig(autotasks: autotasks, grace: 200, extra: extra).text
            _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        }

        static func setUp(_ ws: Workspace) -> String {
            for name in ["Args", "Size", "Same"] { ws.task(name + "Task.sh", worker) }
            let file = ws.path + "/wpm.json"
            write(ws, file, autotasks: Self.tasks(args: "v1", size: 2))
            return file
        }

        static func tasks(args: String, size: Int, extra: String = "") -> String {
            """
            {"Args": {"args": ["\(args)"], "cardinality": 2, "startup_timeout": 60000},
             "Size": {"cardinality": \(size), "startup_timeout": 60000},
             "Same": {"startup_timeout": 60000}\(extra)}
            """
        }

        func pids(_ m: Manager, _ task: String) async throws -> Set<pid_t> {
            Set(try await m.workerPids(task, includingStopping: true))
        }

        @Test func argsRollOneTaskCardinalityResizesAnotherAndTheThirdIsUntouched() async throws {
            let ws = try Workspace()
            let file = Self.setUp(ws)
            try await withManager(ws, config: file) { m in
                let args = try await RolloutTests.waitReady(m, "Args", count: 2)
                let size = try await RolloutTests.waitReady(m, "Size", count: 2)
                let same = try await RolloutTests.waitReady(m, "Same", count: 1)
                #expect(args.allSatisfy { ProcessTable.command($0).contains("v1") })

                Self.write(ws, file, autotasks: Self.tasks(args: "v2", size: 3))
                // First what it would do: nothing is changed by that.
                let preview = try await m.request(.post, "/reload?dry_run=1")
                #expect(preview.status == 200)
                #expect(
                    preview.body == """
                        dry run: nothing was changed; a reload would do this:
                        Args: changed (args): rolling restart
                        Same: unchanged
                        Size: changed (cardinality): cardinality 2 -> 3

                        """, "\(preview.body)")
                #expect(try await pids(m, "Size") == size)
                #expect(try await RolloutTests.readyPids(m, "Args") == args)
                #expect(try await m.status("Args")["Rollout"] == nil)
                let reply = try await m.json(.post, "/reload")
                #expect(reply.status == 200, "\(reply.body)")
                let results = reply.json["tasks"] as? [[String: Any]] ?? []
                let byTask = Dictionary(uniqueKeysWithValues: results.map { ($0["task"] as? String ?? "", $0) })
                #expect(byTask["Args"]?["changed"] as? [String] == ["args"])
                #expect(byTask["Args"]?["actions"] as? [String] == ["rolling restart"])
                #expect(byTask["Size"]?["actions"] as? [String] == ["cardinality 2 -> 3"])
                #expect(byTask["Same"]?["result"] as? String == "unchanged")
                #expect(reply.json["needs_restart"] as? [String] == [])

                // Args: every worker replaced by one started with the new args.
                #expect(await eventually(timeout: .seconds(90)) {
                    let now = (try? await RolloutTests.readyPids(m, "Args")) ?? []
                    return now.count == 2 && now.isDisjoint(with: args) && now.allSatisfy { ProcessTable.command($0).contains("v2") }
                })
                // Size: the two old ones and one more.
                #expect(await eventually { (try? await pids(m, "Size")).map { $0.count == 3 && $0.isSuperset(of: size) } ?? false })
                // Same: the same pid.
                #expect(try await pids(m, "Same") == same)

                // Reloading the same file again changes nothing (text form).
                let text = try await m.request(.post, "/reload")
                #expect(text.status == 200)
                #expect(text.body == "Args: unchanged\nSame: unchanged\nSize: unchanged\n")
            }
        }

        @Test func aBrokenConfigChangesNothingAndSaysWhyAsAtStart() async throws {
            let ws = try Workspace()
            let file = Self.setUp(ws)
            try await withManager(ws, config: file) { m in
                _ = try await RolloutTests.waitReady(m, "Size", count: 2)
                let before = try await m.workerPids("Args") + m.workerPids("Size") + m.workerPids("Same")
                Self.write(ws, file, autotasks: Self.tasks(args: "v2", size: 0))
                let reply = try await m.request(.post, "/reload")
                #expect(reply.status == 400)
                // The same message as a manager started with it.
                let start = try await runCommand(managerBinary, ["-conf=\(file)"])
                #expect(start.status == 2)
                let line = start.stderr.split(separator: "\n").first.map(String.init) ?? ""
                #expect(line.hasPrefix("wpmanager: config "))
                #expect(reply.body == "ERROR: " + line.dropFirst("wpmanager: ".count) + "\n", "\(reply.body) vs \(line)")
                #expect(reply.body.contains(#""autotasks.Size.cardinality""#))
                let json = try await m.json(.post, "/reload")
                #expect(json.status == 400)
                #expect(json.json["error"] as? String == String(line.dropFirst("wpmanager: ".count)))
                // Not valid JSON at all: refused too.
                _ = FileManager.default.createFile(atPath: file, contents: Data("{".utf8))
                #expect(try await m.request(.post, "/reload").status == 400)
                #expect(m.stderr.text.contains("config reload refused, nothing changed"))
                let after = try await m.workerPids("Args") + m.workerPids("Size") + m.workerPids("Same")
                #expect(after == before)
                #expect(try await m.status("Size")["Active Workers"] == "2 / 2")
                #expect(try await m.status("Args")["Rollout"] == nil)
            }
        }

        @Test func tasksComeAndGoAndTheAPIKeepsPrecedenceUntilTheFileChanges() async throws {
            let ws = try Workspace()
            let file = Self.setUp(ws)
            try await withManager(ws, config: file) { m in
                _ = try await RolloutTests.waitReady(m, "Size", count: 2)
                // Set through the API: 4 workers, and Same stopped.
                #expect(try await m.request(.put, "/tasks/Size/set/cardinality/4").status == 200)
                #expect(try await m.request(.delete, "/tasks/Same").status == 200)
                // A new autotask file, one file gone; Size's and Same's file values unchanged.
                ws.task("NewTask.sh", Self.worker)
                try FileManager.default.removeItem(atPath: ws.tasks + "/ArgsTask.sh")
                Self.write(ws, file, autotasks: """
                    {"Size": {"cardinality": 2, "startup_timeout": 60000}, "Same": {"startup_timeout": 60000},
                     "New": {"cardinality": 2, "startup_timeout": 60000}}
                    """)
                let console = try await runConsole(["-host=\(m.host):\(m.port)", "reload"], workspace: ws)
                #expect(console.status == 0)
                #expect(console.stdout.contains("Args: removed: stopped\n"), "\(console.stdout)")
                #expect(console.stdout.contains("New: added: started\n"), "\(console.stdout)")
                _ = try await m.waitForWorkers("New", count: 2)
                #expect(try await m.get("/tasks/Args").status == 404)
                #expect(try await m.get("/list").body == "New\nSame\nSize\n")
                #expect(await eventually { !(m.liveWorkers().contains { ProcessTable.command($0).contains("ArgsTask") }) })
                #expect(try await m.status("Size")["Active Workers"]?.hasSuffix("/ 4") == true)
                #expect(try await m.status("Same")["Running"] == "false")
                let metrics = MetricsTests.parse(try await m.get("/metrics").body).samples
                #expect(MetricsTests.value(metrics, "wpm_task_cardinality", ["task": "New"]) == 2)

                // Now the file's value for Size changes: it wins.
                Self.write(ws, file, autotasks: """
                    {"Size": {"cardinality": 1, "startup_timeout": 60000}, "Same": {"startup_timeout": 60000},
                     "New": {"cardinality": 2, "startup_timeout": 60000}}
                    """, extra: ["http_timeout": 20000])
                let reply = try await m.request(.post, "/reload")
                #expect(reply.body.contains("Size: changed (cardinality): cardinality 4 -> 1\n"), "\(reply.body)")
                #expect(reply.body.hasSuffix("needs a restart of wpmanager (running values kept): http_timeout\n"))
                #expect(await eventually { (try? await m.workerPids("Size", includingStopping: true))?.count == 1 })
                // The HTTP settings in use are kept.
                #expect(try await m.get("/list").status == 200)

                // Timeouts apply in place: the same workers.
                let new = try await pids(m, "New")
                Self.write(ws, file, autotasks: """
                    {"Size": {"cardinality": 1, "startup_timeout": 60000}, "Same": {"startup_timeout": 60000},
                     "New": {"cardinality": 2, "startup_timeout": 90000, "stall_timeout": 30000, "grace_period": 300}}
                    """, extra: ["http_timeout": 20000])
                let inPlace = try await m.request(.post, "/reload")
                #expect(
                    inPlace.body.hasPrefix("New: changed (stall_timeout, grace_period, startup_timeout): applied in place\n"),
                    "\(inPlace.body)")
                #expect(try await pids(m, "New") == new)

                // Wrong requests.
                #expect(try await m.request(.post, "/reload?now=1").status == 400)
                let twice = try await m.request(.post, "/reload?dry_run=1&dry_run=1")
                #expect(twice.status == 400)
                #expect(twice.body == #"ERROR: invalid dry_run "1,1": must be 1, true, 0 or false, once"# + "\n")
                #expect(try await m.request(.post, "/reload?dry_run=yes").status == 400)
                #expect(try await m.request(.post, "/reload?dry_run=false").status == 200)
                #expect(try await m.get("/reload").status == 405)
            }
        }

        @Test func sighupDuringARolloutReplacesEveryWorkerWithTheNewestSettings() async throws {
            let ws = try Workspace()
            let file = Self.setUp(ws)
            try await withManager(ws, config: file) { m in
                let args = try await RolloutTests.waitReady(m, "Args", count: 2)
                let watcher = try await EventWatcher.connect(m, query: "?task=Args")
                defer { watcher.stop() }
                #expect(try await m.request(.post, "/tasks/Args/restart").status == 200)
                Self.write(ws, file, autotasks: Self.tasks(args: "v3", size: 2))
                kill(m.pid, SIGHUP)
                await watcher.waitFor("a rollout superseded, then finished", timeout: .seconds(90)) { events in
                    events.of("rollout_failed").first?["reason"] as? String == "superseded by a newer rollout"
                        && events.of("rollout_finished").count == 1
                }
                #expect(watcher.events.of("rollout_started").count == 2)
                let now = try await RolloutTests.readyPids(m, "Args")
                #expect(now.count == 2)
                #expect(now.isDisjoint(with: args))
                #expect(now.allSatisfy { ProcessTable.command($0).contains("v3") }, "\(now.map(ProcessTable.command))")
                #expect(await eventually { (try? await pids(m, "Args")) == now })
                #expect(m.stderr.text.contains("SIGHUP received: reloading the config"))
            }
        }
    }
}
