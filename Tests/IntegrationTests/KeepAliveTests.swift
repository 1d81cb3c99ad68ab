import Foundation
import Testing

extension IntegrationSuite {
    /// Keep-alives over ZeroMQ and stall detection (SPEC §2, §3).
    @Suite struct KeepAliveTests {
        func config(_ ws: Workspace, tasks: [String: String], autotasks: String, stall: Int = 1000, grace: Int = 300) -> String {
            for (name, script) in tasks { ws.task(name + "Task.sh", script) }
            return ws.config(ws.testConfig(autotasks: autotasks, stall: stall, grace: grace, host: "localhost"))
        }

        func json(_ m: Manager, _ task: String) async throws -> [String: Any] {
            try await m.json(.get, "/tasks/\(task)").json
        }

        @Test func workersAreToldWhereToSend() async throws {
            let ws = try Workspace()
            let cfg = config(ws, tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#, stall: 60000)
            try await withManager(ws, config: cfg) { m in
                let pid = try await m.waitForWorkers("Work", count: 1)[0]
                #expect(m.keepAliveEndpoint.hasPrefix("tcp://127.0.0.1:"))
                let env = ProcessTable.environment(pid)
                #expect(env.contains("WPM_TASK_NAME=Work\0"))
                #expect(env.contains("WPM_KEEPALIVE_ENDPOINT=\(m.keepAliveEndpoint)\0"))
            }
        }

        @Test func beatingWorkersLiveOnAndSilentOnesAreStalledAndReplaced() async throws {
            let ws = try Workspace()
            let cfg = config(ws, tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 2}}"#, stall: 1000)
            try await withManager(ws, config: cfg) { m in
                let pids = try await m.waitForWorkers("Work", count: 2)
                let (beating, silent) = (pids[0], pids[1])
                let publisher = try Publisher(m.keepAliveEndpoint)
                // Both get ready (else the silent one misses its startup timeout, not a stall).
                try publisher.beat("Work", pid: silent)
                // Beat for one of them for three stall timeouts.
                let until = ContinuousClock.now.advanced(by: .milliseconds(3200))
                while ContinuousClock.now < until {
                    try publisher.beat("Work", pid: beating)
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(ProcessTable.isAlive(beating))
                #expect(!ProcessTable.isAlive(silent))
                let now = try await m.workerPids("Work")
                #expect(now.contains(beating))
                #expect(now.count == 2)
                let status = try await m.status("Work")
                #expect(Int(status["Stalled Workers"] ?? "0")! >= 1)
                let j = try await json(m, "Work")
                #expect(j["keepalives_received"] as? Int ?? 0 >= 10)
                #expect((j["exits"] as? [String: Int])?["stalled"] ?? 0 >= 1)
                // The worker that beats shows its last keep-alive; the task's is the newest.
                let workers = try await m.json(.get, "/tasks/Work/list").json["workers"] as? [[String: Any]] ?? []
                let entry = workers.first { $0["pid"] as? Int == Int(beating) }
                #expect(entry?["keepalives"] as? Int ?? 0 >= 10)
                #expect(m.stderr.text.contains("worker stalled"))
            }
        }

        /// Many workers stalling at the same deadline are replaced one for one:
        /// no extra worker is spawned and then stopped again.
        @Test func simultaneousStallsAreReplacedOneForOne() async throws {
            let ws = try Workspace()
            let cfg = config(
                ws, tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 10, "startup_timeout": 60000}}"#,
                stall: 1000)
            try await withManager(ws, config: cfg) { m in
                let pids = try await m.waitForWorkers("Work", count: 10)
                // All ready at once: their stall deadlines fall together.
                let publisher = try Publisher(m.keepAliveEndpoint)
                for pid in pids { try publisher.beat("Work", pid: pid) }
                #expect(await eventually { ((try? await json(m, "Work"))?["stalled_workers"] as? Int ?? 0) >= 10 })
                let j = try await json(m, "Work")
                let exits = j["exits"] as? [String: Int] ?? [:]
                // Every worker that ended so far ended because it stalled.
                #expect(exits["clean"] == 0, "\(exits)")
                #expect((j["dead_workers"] as? Int ?? 0) <= (j["stalled_workers"] as? Int ?? 0))
                #expect(j["active_workers"] as? Int == 10)
            }
        }

        @Test func aWorkerThatStopsBeatingIsCaught() async throws {
            let ws = try Workspace()
            let cfg = config(ws, tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#, stall: 1500)
            try await withManager(ws, config: cfg) { m in
                let pid = try await m.waitForWorkers("Work", count: 1)[0]
                let publisher = try Publisher(m.keepAliveEndpoint)
                var lastBeat = ContinuousClock.now
                for _ in 0..<10 {
                    try await Task.sleep(for: .milliseconds(300))
                    try publisher.beat("Work", pid: pid)
                    lastBeat = ContinuousClock.now
                }
                #expect(ProcessTable.isAlive(pid))
                #expect(await eventually { !ProcessTable.isAlive(pid) })
                #expect(ContinuousClock.now - lastBeat >= .milliseconds(1400))
                let replacement = try await m.waitForWorkers("Work", count: 1)
                #expect(replacement != [pid])
                #expect(try await m.status("Work")["Stalled Workers"] == "1")
            }
        }

        @Test func aStalledWorkerThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() async throws {
            let ws = try Workspace()
            let cfg = config(
                ws, tasks: ["Stubborn": Scripts.stubbornReadyThenSilent], autotasks: #"{"Stubborn": {"grace_period": 1500, "startup_timeout": 60000}}"#, stall: 800)
            try await withManager(ws, config: cfg) { m in
                let pid = try await m.waitForWorkers("Stubborn", count: 1)[0]
                #expect(await eventually { m.stderr.text.contains("worker stalled") })
                let stalledAt = ContinuousClock.now
                // SIGTERM ignored: still alive for most of the grace period, then SIGKILLed.
                #expect(ProcessTable.isAlive(pid))
                #expect(await eventually { !ProcessTable.isAlive(pid) })
                #expect(ContinuousClock.now - stalledAt >= .milliseconds(1000))
                let status = try await m.json(.get, "/tasks/Stubborn").json
                #expect(status["stalled_workers"] as? Int ?? 0 >= 1)
            }
        }

        @Test func perTaskStallTimeoutOverridesTheGlobalOne() async throws {
            let ws = try Workspace()
            let cfg = config(
                ws, tasks: ["Fast": Scripts.readyThenSilent, "Slow": Scripts.readyThenSilent],
                autotasks: #"{"Fast": {"stall_timeout": 500, "startup_timeout": 60000}, "Slow": {}}"#, stall: 600000)
            try await withManager(ws, config: cfg) { m in
                let slow = try await m.waitForWorkers("Slow", count: 1)
                #expect(await eventually { (try? await m.status("Fast")["Stalled Workers"]) == "2" })
                #expect(try await m.workerPids("Slow") == slow)
                #expect(try await m.status("Slow")["Stalled Workers"] == "0")
            }
        }

        @Test func goStyleKeysAndCaseInsensitiveMatching() async throws {
            let ws = try Workspace()
            let cfg = config(ws, tasks: ["GoExample": Scripts.sleeper], autotasks: #"{"GoExample": {}}"#, stall: 60000)
            try await withManager(ws, config: cfg) { m in
                let pid = try await m.waitForWorkers("GoExample", count: 1)[0]
                let publisher = try Publisher(m.keepAliveEndpoint)
                for body in [
                    #"{"Taskname":"GoExample","Pid":\#(pid)}"#, #"{"TASKNAME":"GoExample","PID":\#(pid),"extra":[1,2]}"#,
                    #"{"taskName":"GoExample","pId":\#(pid)}"#,
                ] {
                    try publisher.send(["GoExample", body])
                }
                // Frames after the second are ignored.
                try publisher.send(["GoExample", #"{"taskname":"GoExample","pid":\#(pid)}"#, "third", "fourth"])
                #expect(await eventually { (try? await json(m, "GoExample"))?["keepalives_received"] as? Int == 4 })
            }
        }

        @Test func matchingIsExactAndAnotherTasksPidKeepsNothingAlive() async throws {
            let ws = try Workspace()
            let cfg = config(
                ws, tasks: ["Task1": Scripts.sleeper, "Task10": Scripts.sleeper],
                autotasks: #"{"Task1": {}, "Task10": {}}"#, stall: 1500)
            try await withManager(ws, config: cfg) { m in
                let one = try await m.waitForWorkers("Task1", count: 1)[0]
                let ten = try await m.waitForWorkers("Task10", count: 1)[0]
                let publisher = try Publisher(m.keepAliveEndpoint)
                let until = ContinuousClock.now.advanced(by: .milliseconds(2500))
                while ContinuousClock.now < until {
                    try publisher.beat("Task10", pid: ten)
                    // Task1's pid announced as Task10's, and Task10's as Task1's.
                    try publisher.beat("Task10", pid: one)
                    try publisher.beat("Task1", pid: ten)
                    // Frame 0 and the JSON name disagree.
                    try publisher.send(["Task1", #"{"taskname":"Task10","pid":\#(one)}"#])
                    try publisher.send(["Task10", #"{"taskname":"Task1","pid":\#(one)}"#])
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(ProcessTable.isAlive(ten))
                #expect(await eventually { !ProcessTable.isAlive(one) })
                let task1 = try await json(m, "Task1")
                let task10 = try await json(m, "Task10")
                #expect(task1["keepalives_received"] as? Int == 0)
                #expect((task1["keepalives_dropped"] as? [String: Int])?["wrong_task"] ?? 0 >= 10)
                #expect((task10["keepalives_dropped"] as? [String: Int])?["wrong_task"] ?? 0 >= 10)
                #expect(task10["keepalives_received"] as? Int ?? 0 >= 10)
                #expect(try await m.status("Task10")["Stalled Workers"] == "0")
            }
        }

        @Test func extensionFieldsAreShownAndAnnouncedStopsAreCleanExits() async throws {
            let ws = try Workspace()
            let cfg = config(ws, tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#, stall: 60000)
            try await withManager(ws, config: cfg) { m in
                let pid = try await m.waitForWorkers("Work", count: 1)[0]
                let publisher = try Publisher(m.keepAliveEndpoint)
                try publisher.beat(
                    "Work", pid: pid, extra: #","status":"working","job":"job-42","message":"line one\nline\ttwo""#)
                #expect(await eventually { (try? await m.get("/tasks/Work/list"))?.body.contains("Job: job-42") == true })
                let line = try await m.get("/tasks/Work/list").body
                #expect(line.hasSuffix(",\tStatus: working,\tJob: job-42,\tMessage: line one line two\n"), "\(line)")
                var workers = try await m.json(.get, "/tasks/Work/list").json["workers"] as? [[String: Any]] ?? []
                #expect(workers.first?["status"] as? String == "working")
                #expect(workers.first?["job"] as? String == "job-42")
                #expect(workers.first?["message"] as? String == "line one\nline\ttwo")
                // A numeric job is shown as text; an unknown status is ignored, the keep-alive counts.
                try publisher.beat("Work", pid: pid, extra: #","status":"sleepy","job":77"#)
                #expect(await eventually {
                    let w = (try? await m.json(.get, "/tasks/Work/list").json["workers"] as? [[String: Any]])?.first
                    return w?["job"] as? String == "77" && w?["keepalives"] as? Int == 2
                })
                workers = try await m.json(.get, "/tasks/Work/list").json["workers"] as? [[String: Any]] ?? []
                #expect(workers.first?["status"] as? String == "working")

                // It says it is stopping, then dies of a signal: a clean exit, not a crash.
                try publisher.beat("Work", pid: pid, extra: #","status":"stopping""#)
                #expect(await eventually {
                    (try? await m.get("/tasks/Work/list"))?.body.contains("Status: stopping") == true
                })
                kill(pid, SIGKILL)
                #expect(await eventually {
                    let exits = (try? await json(m, "Work"))?["exits"] as? [String: Int]
                    return exits?["clean"] == 1
                })
                let exits = try await json(m, "Work")["exits"] as? [String: Int]
                #expect(exits == ["clean": 1, "crashed": 0, "signaled": 0, "stalled": 0, "startup_timeout": 0, "recycled": 0])
                // Without the announcement the same death is counted as killed by a signal.
                let next = try await m.waitForWorkers("Work", count: 1)[0]
                kill(next, SIGKILL)
                #expect(await eventually {
                    ((try? await json(m, "Work"))?["exits"] as? [String: Int])?["signaled"] == 1
                })
            }
        }

        @Test func floodOfHostileMessagesLosesNoValidKeepAlive() async throws {
            let ws = try Workspace()
            let cfg = config(ws, tasks: ["Good": Scripts.sleeper], autotasks: #"{"Good": {"cardinality": 2}}"#, stall: 60000)
            try await withManager(ws, config: cfg) { m in
                let pids = try await m.waitForWorkers("Good", count: 2)
                let publisher = try Publisher(m.keepAliveEndpoint)
                let big = [UInt8](repeating: UInt8(ascii: "x"), count: 8000)
                let hostile: [[[UInt8]]] = [
                    [Array("Good".utf8)],  // missing frame
                    [Array("Good".utf8), Array("not json".utf8)],
                    [Array("Good".utf8), Array(#"{"taskname":"Good","pid":"\#(pids[0])"}"#.utf8)],  // pid as a string
                    [Array("Good".utf8), Array(#"{"taskname":"Good"}"#.utf8)],
                    [Array("Good".utf8), Array(#"{"taskname":"Good","pid":-1}"#.utf8)],
                    [Array("Good".utf8), Array(#"{"taskname":"Good","pid":1.5}"#.utf8)],
                    [Array("Good".utf8), Array(#"{"taskname":"Good","pid":99999999999}"#.utf8)],
                    [Array("Good".utf8), Array("[1,2,3]".utf8)],
                    [Array("Good".utf8), Array(#"{"taskname":"Good","pid":1}"#.utf8)],  // unknown pid
                    [Array("Good".utf8), big],  // too large
                    [big, Array("{}".utf8)],
                    [Array("Nope".utf8), Array(#"{"taskname":"Nope","pid":1}"#.utf8)],
                    [[0xff, 0xfe, 0x00], [0x00, 0x01]],
                    [[], []],
                    [Array("Good".utf8), Array(String(repeating: "[", count: 3000).utf8)],
                ]
                var valid = 0
                for round in 0..<200 {
                    for (i, message) in hostile.enumerated() {
                        try publisher.send(message)
                        if i % 5 == 0 {
                            try publisher.beat("Good", pid: pids[round % 2])
                            valid += 1
                        }
                    }
                    if round % 20 == 19 { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(await eventually { (try? await json(m, "Good"))?["keepalives_received"] as? Int == valid })
                let j = try await json(m, "Good")
                #expect(j["keepalives_received"] as? Int == valid)
                let dropped = j["keepalives_dropped"] as? [String: Int] ?? [:]
                #expect(dropped["missing_frame"] == 200)
                #expect(dropped["malformed_json"] == 200 * 8)
                #expect(dropped["unknown_pid"] == 200)
                #expect(dropped["too_large"] == 200)
                #expect(m.process.isRunning)
                #expect(try await m.workerPids("Good") == pids.sorted())
                // Memory stays bounded (a generous cap: the manager holds no message).
                let rss = try String(contentsOfFile: "/proc/\(m.pid)/status", encoding: .utf8)
                    .split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
                let kb = Int(rss?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
                #expect(kb < 200_000, "RSS \(kb) kB")
            }
        }

        @Test func aKeepAlivePortInUseIsRefusedWithExit2() async throws {
            let ws = try Workspace()
            let first = config(ws, tasks: ["Work": Scripts.sleeper], autotasks: "{}")
            try await withManager(ws, config: first) { m in
                let port = m.keepAliveEndpoint.split(separator: ":").last!
                let second = ws.config(
                    #"{"port": 0, "keepalives": {"inbound_port": \#(port)}, "path": "\#(ws.tasks)"}"#)
                let (status, stderr) = try await runManager(["-conf=\(second)"], workspace: ws)
                #expect(status == 2)
                #expect(stderr.contains("cannot bind keepalives.inbound_port at tcp://127.0.0.1:\(port)"), "\(stderr)")
            }
        }
    }
}
