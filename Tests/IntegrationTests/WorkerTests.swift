import Foundation
import Testing

/// Spawn hygiene, output capture and replacement of workers (SPEC §3).
extension IntegrationSuite {
@Suite struct WorkerTests {
    @Test func workersStartCleanInTheirOwnProcessGroup() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Probe": ""], autotasks: #"{"Probe": {"cmd": "/bin/sleep", "args": ["1000"], "cardinality": 2}}"#)
        try await withManager(ws, config: config) { m in
            let pids = try await m.waitForWorkers("Probe", count: 2)
            for pid in pids {
                // Only stdin, stdout and stderr: no descriptor of the manager leaked.
                let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").sorted()
                #expect(fds == ["0", "1", "2"], "worker \(pid) has fds \(fds)")
                // Standard input from /dev/null; output and error to one pipe
                // of the manager's (the output ring), even without capture_output.
                let targets = try fds.map { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
                #expect(targets[0] == "/dev/null")
                #expect(targets[1].hasPrefix("pipe:") && targets[2] == targets[1], "\(targets)")
                // Its own process group, parent is the manager.
                #expect(ProcessTable.processGroup(pid) == pid)
                #expect(ProcessTable.parent(pid) == m.pid)
                // Nothing blocked, nothing ignored (the manager itself ignores SIGPIPE),
                // glibc's two internal signals 32 and 33 included.
                let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                func mask(_ key: String) -> UInt64? {
                    status.split(separator: "\n").first { $0.hasPrefix(key + ":\t") }
                        .flatMap { UInt64($0.dropFirst(key.count + 2), radix: 16) }
                }
                #expect(mask("SigBlk") == 0)
                #expect(mask("SigIgn") == 0)
                // argv from "args".
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
                #expect(cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) } == ["/bin/sleep", "1000"])
                #expect(ProcessTable.environment(pid).contains("WPM_TASK_NAME=Probe\0"))
            }
        }
    }

    @Test func capturedOutputIsPrefixedLineByLineAndNothingIsLost() async throws {
        let ws = try Workspace()
        let echo = "#!/bin/sh\necho \"out $1 $2\"\necho 'err line' >&2\nprintf 'partial tail'\nexec sleep 1000\n"
        let quiet = "#!/bin/sh\necho 'quiet output'\nexec sleep 1000\n"
        let config = ws.standardConfig(
            tasks: ["Echo": echo, "Quiet": quiet],
            autotasks: #"{"Echo": {"capture_output": true, "args": ["a b", "c"]}, "Quiet": {}}"#)
        try await withManager(ws, config: config) { m in
            let pid = try await m.waitForWorkers("Echo", count: 1)[0]
            _ = try await m.waitForWorkers("Quiet", count: 1)
            #expect(await eventually { m.stdout.lines.contains("[Echo \(pid)] out a b c") })
            #expect(await eventually { m.stdout.lines.contains("[Echo \(pid)] err line") })
            // The last line has no newline: written when the worker's output ends.
            #expect(!m.stdout.text.contains("partial tail"))
            _ = try await m.request(.delete, "/tasks/Echo")
            #expect(await eventually { m.stdout.lines.contains("[Echo \(pid)] partial tail") })
            // Without capture_output the output goes nowhere.
            #expect(!m.stdout.text.contains("quiet output"))
            #expect(!m.stderr.text.contains("quiet output"))
        }
    }

    @Test func aWorkersOwnChildrenDieWithIt() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Fork": Scripts.forker], autotasks: #"{"Fork": {"cardinality": 2}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Fork", count: 2)
            #expect(await eventually { m.liveWorkers().count == 6 })  // 2 shells, 4 sleeps
            _ = try await m.request(.delete, "/tasks/Fork")
            #expect(await eventually { m.liveWorkers().isEmpty })
        }
    }

    @Test func whatIsLeftOfAnExitedWorkersGroupIsKilled() async throws {
        let ws = try Workspace()
        // The worker leaves a child behind and exits on its own after a while.
        let leaver = "#!/bin/sh\nsleep 1000 &\necho $! > \"$0.child.$$\"\nsleep 2\nexit 3\n"
        let config = ws.standardConfig(tasks: ["Leave": leaver], autotasks: #"{"Leave": {}}"#)
        try await withManager(ws, config: config) { m in
            let first = try await m.waitForWorkers("Leave", count: 1)[0]
            let file = ws.tasks + "/LeaveTask.sh.child.\(first)"
            #expect(await eventually { FileManager.default.fileExists(atPath: file) })
            let child = pid_t(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
            #expect(ProcessTable.isAlive(child))
            #expect(await eventually { !ProcessTable.isAlive(first) })
            #expect(await eventually { !ProcessTable.isAlive(child) })
            let status = try await m.status("Leave")
            #expect(status["Last exit"] == "exit status 3")
        }
    }

    @Test func aWorkerThatExitsForAnyReasonIsReplaced() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 3}}"#)
        try await withManager(ws, config: config) { m in
            var pids = try await m.waitForWorkers("Work", count: 3)
            for (n, signal) in [SIGKILL, SIGTERM, SIGSEGV].enumerated() {
                kill(pids[0], signal)
                let replaced = try await eventually {
                    let now = try await m.workerPids("Work")
                    return now.count == 3 && !now.contains(pids[0]) && now.allSatisfy(ProcessTable.isAlive)
                }
                #expect(replaced, "after \(SignalName(signal))")
                pids = try await m.workerPids("Work")
                #expect(try await m.status("Work")["Dead Workers"] == "\(n + 1)")
            }
            #expect(try await m.status("Work")["Last exit"] == "killed by signal 11 (SIGSEGV)")
            // No zombie is left under the manager.
            #expect(ProcessTable.children(of: m.pid).allSatisfy { ProcessTable.state($0) != "Z" })
        }
    }

    /// The exec failure's errno reaches the status (the child reports it to
    /// the spawner before the spawn returns).
    @Test(arguments: [
        ("not executable", EACCES), ("missing", ENOENT), ("bad interpreter", ENOENT), ("no #! line", ENOEXEC),
        ("directory", EACCES),
    ])
    func aWorkerThatCannotStartNeverTakesTheManagerDown(kind: String, code: Int32) async throws {
        let ws = try Workspace()
        ws.task("GoodTask.sh", Scripts.sleeper)
        var autotask = "{}"
        switch kind {
        case "not executable": ws.task("BrokenTask.sh", Scripts.sleeper, executable: false)
        case "missing":
            ws.task("BrokenTask.sh", Scripts.sleeper)
            autotask = #"{"cmd": "no-such-program"}"#
        case "bad interpreter": ws.task("BrokenTask.sh", "#!/no/such/interpreter\n")
        case "no #! line": ws.task("BrokenTask.sh", "exec sleep 1000\n")
        default:
            ws.task("BrokenTask.sh", Scripts.sleeper)
            autotask = #"{"cmd": "/tmp"}"#
        }
        let config = ws.config(
            #"{"port": 0, \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Broken": \#(autotask), "Good": {}}}"#)
        try await withManager(ws, config: config) { m in
            let good = try await m.waitForWorkers("Good", count: 1)
            var reply = try await m.get("/tasks/Broken/start")
            #expect(reply.body == "Already running Broken\n")
            reply = try await m.request(.delete, "/tasks/Broken")
            reply = try await m.get("/tasks/Broken/start")
            #expect(reply.status == 200)
            #expect(reply.body == "Started task Broken\n")
            // The spawn runs on the spawner's thread: its failure may come after the reply.
            var status: [String: String] = [:]
            #expect(try await eventually { status = try await m.status("Broken"); return status["Last spawn error"] != nil })
            #expect(status["Running"] == "true")
            #expect(status["Active Workers"] == "0 / 1")
            let error = try #require(status["Last spawn error"])
            #expect(error.hasPrefix("cannot start \(ws.tasks)/") || error.hasPrefix("cannot start /tmp"), "\(error)")
            #expect(error.hasSuffix(": " + String(cString: strerror(code))), "\(error)")
            // Retried, but no faster than once a second.
            let attempts = { m.stderr.lines.filter { $0.contains("worker spawn failed") && $0.contains("task=Broken") }.count }
            let before = attempts()
            let start = ContinuousClock.now
            #expect(await eventually { attempts() >= before + 2 })
            #expect(ContinuousClock.now - start >= .milliseconds(1500))
            // Everything else carries on.
            #expect(try await m.workerPids("Good") == good)
            #expect(m.process.isRunning)
        }
    }
}
}

func SignalName(_ signal: Int32) -> String { String(cString: strsignal(signal)) }
