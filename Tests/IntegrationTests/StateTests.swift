import Foundation
import Synchronization
import Testing

/// Run-time changes survive a restart (the state file), `--clean-state`
/// forgets them, a broken state file is reported and ignored, and the
/// workers of a manager that was killed are stopped by the next one.
extension IntegrationSuite {
@Suite struct StateTests {
    /// Two tasks: `Auto` starts from the config with one worker, `Manual` does not.
    func setUp(_ ws: Workspace) -> (config: String, stateFile: String) {
        let config = ws.standardConfig(
            tasks: ["Auto": Scripts.sleeper, "Manual": Scripts.sleeper], autotasks: #"{"Auto": {"cardinality": 1}}"#)
        return (config, String(config.dropLast(".json".count)) + ".state.json")
    }

    @Test func cardinalityAndStartedTasksSurviveARestartUntilCleanState() async throws {
        let ws = try Workspace()
        let (config, stateFile) = setUp(ws)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Auto", count: 1)
            _ = try await m.get("/tasks/Auto/set/cardinality/3")
            _ = try await m.get("/tasks/Manual/set/cardinality/2")
            _ = try await m.get("/tasks/Manual/start")
            _ = try await m.waitForWorkers("Auto", count: 3)
            _ = try await m.waitForWorkers("Manual", count: 2)
            #expect(await eventually { (try? String(contentsOfFile: stateFile, encoding: .utf8))?.contains("Manual") == true })
        }
        // A graceful stop stops every task but does not forget what runs.
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Auto", count: 3)
            _ = try await m.waitForWorkers("Manual", count: 2)
            #expect(await eventually { m.liveWorkers().count == 5 })
            #expect(m.stderr.text.contains("run-time state restored"))
            // Stopped through the API: it stays stopped.
            _ = try await m.request(.delete, "/tasks/Auto")
        }
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Manual", count: 2)
            #expect(try await m.status("Auto")["Running"] == "false")
            #expect(try await m.status("Auto")["Active Workers"] == "0 / 3")
        }
        try await withManager(ws, config: config, arguments: ["-conf=\(config)", "--clean-state"]) { m in
            _ = try await m.waitForWorkers("Auto", count: 1)
            #expect(try await m.status("Auto")["Active Workers"] == "1 / 1")
            #expect(try await m.status("Manual")["Running"] == "false")
            #expect(m.stderr.text.contains("--clean-state"))
        }
    }

    @Test(arguments: ["", "{\"version\": 1, \"tasks\": {\"Auto\": {\"running\": tr", "not json at all", "{\"version\": 7, \"tasks\": {}}"])
    func aBrokenStateFileIsReportedAndTheConfigIsUsed(content: String) async throws {
        let ws = try Workspace()
        let (config, stateFile) = setUp(ws)
        _ = FileManager.default.createFile(atPath: stateFile, contents: Data(content.utf8))
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Auto", count: 1)
            #expect(try await m.status("Manual")["Running"] == "false")
            #expect(m.stderr.text.contains("state file \(stateFile)"))
            #expect(m.stderr.text.contains("ignored, starting from the config alone"))
            // The next change rewrites it whole.
            _ = try await m.get("/tasks/Auto/set/cardinality/2")
            #expect(await eventually { (try? String(contentsOfFile: stateFile, encoding: .utf8))?.contains("\"cardinality\" : 2") == true })
        }
    }

    @Test func tasksOrSizesTheConfigNoLongerAllowsAreIgnoredWithAWarning() async throws {
        let ws = try Workspace()
        let (config, stateFile) = setUp(ws)
        let state = #"{"version": 1, "tasks": {"Gone": {"running": true, "cardinality": 2}, "Manual": {"running": true, "cardinality": 20000}}}"#
        _ = FileManager.default.createFile(atPath: stateFile, contents: Data(state.utf8))
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Manual", count: 1)
            #expect(m.stderr.text.contains("task Gone is not in the config; ignored"))
            #expect(m.stderr.text.contains("cardinality 20000 of task Manual is above max_cardinality (10000)"))
        }
    }

    @Test func theWorkersOfAKilledManagerAreStoppedByTheNextOneAndNothingElse() async throws {
        let ws = try Workspace()
        // Workers that ignore SIGTERM, so the one they get when their manager dies.
        let config = ws.standardConfig(tasks: ["Auto": Scripts.stubborn], autotasks: #"{"Auto": {"cardinality": 1}}"#)
        // Not ours: no tag, and the tag of another manager.
        let strangers = [
            try ws.spawnDetached(["/bin/sleep", "1000"], environment: [:]),
            try ws.spawnDetached(["/bin/sleep", "1000"], environment: ["WPM_MANAGER": ws.path + "/other.state.json"]),
        ]
        defer { strangers.forEach { kill($0, SIGKILL) } }
        let first = try await Manager.start(ws, config: config)
        let old: [pid_t]
        do {
            _ = try await first.get("/tasks/Auto/set/cardinality/2")
            old = try await first.waitForWorkers("Auto", count: 2)
            // Written by the state file's own queue: killed before that, the
            // next manager would start from cardinality 1.
            let stateFile = String(config.dropLast(".json".count)) + ".state.json"
            guard await eventually({ (try? String(contentsOfFile: stateFile, encoding: .utf8))?.contains("\"cardinality\" : 2") == true })
            else { throw HarnessError("the state file never said cardinality 2") }
        } catch {
            try? await first.finish()
            throw error
        }
        // Killed: its workers (no pdeathsig) run on, unsupervised.
        kill(first.pid, SIGKILL)
        _ = try await first.waitForExit()
        #expect(old.allSatisfy(ProcessTable.isAlive))

        // Never more than the cardinality: the old ones are gone before the
        // next manager spawns (they ignore SIGTERM, so an overlap would last
        // the grace period; polled every 2 ms until the new ones are up).
        let watching = Mutex(true)
        let watch = Task.detached { () -> (sawNew: Bool, overlap: Bool) in
            var sawNew = false
            while watching.withLock({ $0 }) {
                let managers = ws.liveProcesses().filter { ProcessTable.command($0).contains("wpmanager") }
                let newWorkers = managers.flatMap(ProcessTable.children(of:)).filter { ProcessTable.state($0) != "Z" }
                sawNew = sawNew || !newWorkers.isEmpty
                if !newWorkers.isEmpty, old.contains(where: ProcessTable.isAlive) { return (sawNew, true) }
                try? await Task.sleep(for: .milliseconds(2))
            }
            return (sawNew, false)
        }
        try await withManager(ws, config: config) { m in
            #expect(await eventually { old.allSatisfy { !ProcessTable.isAlive($0) } })
            let new = try await m.waitForWorkers("Auto", count: 2)
            watching.withLock { $0 = false }
            let watched = await watch.value
            #expect(watched.sawNew, "the watch never saw the new workers")
            #expect(!watched.overlap, "new workers ran beside the old ones")
            #expect(Set(new).isDisjoint(with: old))
            #expect(m.stderr.text.contains("left running by an earlier wpmanager"))
            #expect(strangers.allSatisfy(ProcessTable.isAlive))
        }
        watching.withLock { $0 = false }
        for pid in strangers { kill(pid, SIGKILL) }
    }

    /// A leftover gets its task's stop signal, also when it was stopped
    /// (SIGSTOP, as a pause does): it ends the way it is meant to, long
    /// before the grace period (60 s here) would end it with SIGKILL.
    @Test func theWorkersOfAKilledManagerGetTheirTasksStopSignalEvenWhenStopped() async throws {
        let ws = try Workspace()
        // Its output pipe went with the manager: anything written there would be a SIGPIPE.
        let worker = "#!/bin/sh\nexec >/dev/null 2>&1\ntrap '' TERM\ntrap 'echo \"$$ USR1\" >> \"$0.got\"; exit 0' USR1\nwhile :; do sleep 0.1; done\n"
        let config = ws.standardConfig(
            tasks: ["Usr": worker], autotasks: #"{"Usr": {"cardinality": 2, "stop_signal": "USR1", "grace_period": 60000}}"#)
        let first = try await Manager.start(ws, config: config)
        let old: [pid_t]
        do {
            old = try await first.waitForWorkers("Usr", count: 2)
        } catch {
            try? await first.finish()
            throw error
        }
        kill(first.pid, SIGKILL)
        _ = try await first.waitForExit()
        kill(-old[0], SIGSTOP)
        #expect(await eventually { ProcessTable.state(old[0]) == "T" })
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Usr", count: 2)
            #expect(old.allSatisfy { !ProcessTable.isAlive($0) })
            let got = (try? String(contentsOfFile: ws.tasks + "/UsrTask.sh.got", encoding: .utf8)) ?? ""
            #expect(Set(got.split(separator: "\n")) == Set(old.map { "\($0) USR1" }), "\(got)")
        }
    }
}
}

extension Workspace {
    /// Starts a process that is not the manager's (and not tagged as this
    /// workspace's: kill it yourself). Returns its pid.
    func spawnDetached(_ argv: [String], environment: [String: String]) throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { old, _ in old }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process.processIdentifier
    }
}
