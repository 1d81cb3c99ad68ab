import Foundation
import Testing

/// Per-task environment, directory, user, limits and stop signal, read back
/// from /proc of live workers; bad values refused before anything starts.
extension IntegrationSuite {
@Suite struct LaunchSettingsTests {
    /// `/proc/PID/environ` as a dictionary.
    static func environment(_ pid: pid_t) -> [String: String] {
        var result: [String: String] = [:]
        for entry in ProcessTable.environment(pid).split(separator: "\0") {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }

    /// The value of `key:` in /proc/PID/status, tabs as they are.
    static func status(_ pid: pid_t, _ key: String) -> String? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix(key + ":\t") }.map {
            String($0.dropFirst(key.count + 2)).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Soft and hard of a line of /proc/PID/limits ("Max open files").
    static func limit(_ pid: pid_t, _ name: String) -> [String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return [] }
        return Array(line.dropFirst(name.count).split(separator: " ").prefix(2).map(String.init))
    }

    @Test(.enabled(if: geteuid() == 0, "switching users needs root"))
    func aWorkerRunsWithItsUserEnvironmentDirectoryAndLimits() async throws {
        let ws = try Workspace()
        let directory = ws.path + "/work dir"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let envFile = ws.path + "/probe.env"
        try "# secrets\nSECRET='s3cret value'\nQUEUE=low\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let daemonGroup = try #require(getgrnam("daemon")).pointee.gr_gid
        let config = ws.standardConfig(
            tasks: ["Probe": Scripts.sleeper, "Plain": Scripts.sleeper],
            autotasks: """
                {"Probe": {"user": "nobody", "group": "daemon", "cwd": "\(directory)", "umask": "0027", "nice": 7,
                           "oom_score_adj": 321, "rlimits": {"nofile": {"soft": 1000, "hard": 2000}, "core": 0},
                           "env_file": "\(envFile)", "clear_env": true, "stop_signal": "INT",
                           "env": {"QUEUE": "high", "WPMTEST_TAG": "\(ws.tag)", "EMPTY": ""}},
                 "Plain": {"env": {"HOME": null, "EXTRA": "x"}}}
                """)
        try await withManager(ws, config: config, environment: ["WPM13_INHERITED": "yes"]) { m in
            let pid = try await m.waitForWorkers("Probe", count: 1)[0]
            let env = Self.environment(pid)
            #expect(env["SECRET"] == "s3cret value")
            #expect(env["QUEUE"] == "high", "env wins over env_file")
            #expect(env["EMPTY"] == "")
            #expect(env["HOME"] == "/nonexistent")
            #expect(env["USER"] == "nobody" && env["LOGNAME"] == "nobody")
            #expect(env["WPM_TASK_NAME"] == "Probe")
            #expect(env["WPM_KEEPALIVE_ENDPOINT"] == m.keepAliveEndpoint)
            #expect(env["PATH"] != nil)
            #expect(env["WPM13_INHERITED"] == nil, "clear_env: nothing of the manager's")
            // (The shell adds PWD before it execs sleep.)
            #expect(Set(env.keys).subtracting(["PWD"]) == ["SECRET", "QUEUE", "EMPTY", "HOME", "USER", "LOGNAME", "PATH",
                                                           "WPMTEST_TAG", "WPM_TASK_NAME", "WPM_KEEPALIVE_ENDPOINT", "WPM_MANAGER"])
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") == directory)
            #expect(Self.status(pid, "Uid") == "65534\t65534\t65534\t65534")
            #expect(Self.status(pid, "Gid") == "\(daemonGroup)\t\(daemonGroup)\t\(daemonGroup)\t\(daemonGroup)")
            #expect(Self.status(pid, "Groups") == "\(daemonGroup)")
            #expect(Self.status(pid, "Umask") == "0027")
            #expect(Self.limit(pid, "Max open files") == ["1000", "2000"])
            #expect(Self.limit(pid, "Max core file size") == ["0", "0"])
            #expect(try String(contentsOfFile: "/proc/\(pid)/oom_score_adj", encoding: .utf8) == "321\n")
            #expect(ProcessTable.stat(pid)?[16] == "7", "nice")
            // The same pid as the manager reported: the helper exec'd the worker in place.
            #expect(ProcessTable.parent(pid) == m.pid)
            #expect(ProcessTable.command(pid) == "sleep 1000")

            let plain = try await m.waitForWorkers("Plain", count: 1)[0]
            let plainEnv = Self.environment(plain)
            #expect(plainEnv["HOME"] == nil, "null removes an inherited variable")
            #expect(plainEnv["EXTRA"] == "x" && plainEnv["WPM13_INHERITED"] == "yes")
            #expect(Self.status(plain, "Uid")?.hasPrefix("0\t") == true)
            // Nothing it sets needs the exec helper: no parent-death signal by default.
            let plainSettings = try #require(try await m.json(.get, "/tasks/Plain").json["settings"] as? [String: Any])
            #expect(plainSettings["exec_helper"] as? Bool == false && plainSettings["pdeathsig"] as? Bool == false)
            #expect(Self.status(plain, "SigIgn") == "0000000000000000")

            // The effective settings, environment values hidden.
            let reply = try await m.json(.get, "/tasks/Probe")
            #expect(!reply.body.contains("s3cret") && !reply.body.contains("high"))
            let settings = try #require(reply.json["settings"] as? [String: Any])
            #expect(settings["env"] as? [String] == ["EMPTY", "QUEUE", "WPMTEST_TAG"])
            #expect(settings["user"] as? String == "nobody" && settings["uid"] as? Int == 65534)
            #expect(settings["umask"] as? String == "0027")
            #expect(settings["stop_signal"] as? String == "SIGINT")
            #expect(settings["exec_helper"] as? Bool == true)
            let limits = try #require(settings["rlimits"] as? [String: [String: Any]])
            #expect(limits["nofile"]?["soft"] as? Int == 1000 && limits["nofile"]?["hard"] as? Int == 2000)
            // Text status unchanged for Go-era scripts.
            #expect(try await m.get("/tasks/Probe").body.contains("env") == false)
        }
    }

    @Test func theStopSignalIsWhatStopScaleDownStallAndShutdownSend() async throws {
        let ws = try Workspace()
        // Notes the first signal it gets in "$0.sig.PID", ends its child and exits.
        var script = "#!/bin/sh\n"
        for name in ["TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "WINCH"] {
            script += "trap 'echo \(name) > \"$0.sig.$$\"; kill $child; exit 0' \(name)\n"
        }
        script += "sleep 1000 &\nchild=$!\nwait $child\nwait $child\n"
        // Ready (one keep-alive), then silent: stalled.
        let stall = script.replacingOccurrences(of: "sleep 1000 &\n", with: "\(Scripts.keepAlive())\nsleep 1000 &\n")
        let config = ws.standardConfig(
            tasks: ["Sig": script, "Stall": stall],
            autotasks: #"{"Sig": {"cardinality": 2, "stop_signal": "INT"}, "Stall": {"stop_signal": "SIGUSR1", "stall_timeout": 1500, "startup_timeout": 30000}}"#,
            extra: ["stop_signal": "QUIT"])
        let signalOf = { (task: String, pid: pid_t) in
            try? String(contentsOfFile: ws.tasks + "/\(task)Task.sh.sig.\(pid)", encoding: .utf8)
        }
        try await withManager(ws, config: config) { m in
            // Scale-down stops the newest.
            var pids = try await m.waitForWorkers("Sig", count: 2).sorted()
            #expect(await eventually { m.liveWorkers().count >= 6 })  // shells and their sleeps
            _ = try await m.get("/tasks/Sig/set/cardinality/1")
            #expect(await eventually { signalOf("Sig", pids[1]) != nil })
            #expect(signalOf("Sig", pids[1]) == "INT\n")
            // Task stop.
            pids = try await m.waitForWorkers("Sig", count: 1)
            _ = try await m.request(.delete, "/tasks/Sig")
            #expect(await eventually { signalOf("Sig", pids[0]) != nil })
            #expect(signalOf("Sig", pids[0]) == "INT\n")
            // A stall (no keep-alive for 1.5 s after the first).
            let stalled = try await m.waitForWorkers("Stall", count: 1)[0]
            #expect(await eventually { signalOf("Stall", stalled) != nil })
            #expect(signalOf("Stall", stalled) == "USR1\n")
            #expect(try await m.status("Stall")["Stalled Workers"] != "0")
            // Shutdown: a task without its own gets the top-level default.
            _ = try await m.request(.put, "/tasks/Sig/start")
            let last = try await m.waitForWorkers("Sig", count: 1)[0]
            #expect(await eventually { m.liveWorkers().contains { ProcessTable.parent($0) == last } })
            #expect(try await m.terminate() == 0)
            #expect(signalOf("Sig", last) == "INT\n")
        }
        // The top-level default reaches tasks that do not set their own.
        let other = ws.standardConfig(tasks: ["Other": script], autotasks: #"{"Other": {}}"#, extra: ["stop_signal": "HUP"])
        try await withManager(ws, config: other) { m in
            let pid = try await m.waitForWorkers("Other", count: 1)[0]
            #expect(await eventually { m.liveWorkers().contains { ProcessTable.parent($0) == pid } })
            _ = try await m.request(.delete, "/tasks/Other")
            #expect(await eventually { signalOf("Other", pid) != nil })
            #expect(signalOf("Other", pid) == "HUP\n")
        }
    }

    @Test func theEnvFileIsReadAtEverySpawnAndAnUnreadableOneIsASpawnError() async throws {
        let ws = try Workspace()
        let envFile = ws.path + "/rotating.env"
        try "SECRET=one\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let config = ws.standardConfig(
            tasks: ["Env": Scripts.sleeper, "Other": Scripts.sleeper],
            autotasks: #"{"Env": {"env_file": "\#(envFile)", "backoff_initial": 200, "backoff_max": 500}, "Other": {}}"#)
        try await withManager(ws, config: config) { m in
            let other = try await m.waitForWorkers("Other", count: 1)
            var pid = try await m.waitForWorkers("Env", count: 1)[0]
            #expect(Self.environment(pid)["SECRET"] == "one")
            // A rotated secret reaches the next worker.
            try "SECRET=two\n".write(toFile: envFile, atomically: true, encoding: .utf8)
            kill(pid, SIGKILL)
            #expect(try await eventually {
                let now = try await m.workerPids("Env")
                guard let new = now.first, new != pid else { return false }
                pid = new
                return Self.environment(new)["SECRET"] == "two"
            })
            // Gone: that spawn fails (with backoff), never the manager.
            try FileManager.default.removeItem(atPath: envFile)
            kill(pid, SIGKILL)
            var status: [String: String] = [:]
            #expect(try await eventually {
                status = try await m.status("Env")
                return status["Last spawn error"] != nil
            })
            #expect(status["Last spawn error"] == "cannot start \(ws.tasks)/EnvTask.sh: env_file \(envFile): No such file or directory")
            #expect(status["Active Workers"] == "0 / 1")
            #expect(await eventually {
                m.stderr.lines.filter { $0.contains("worker spawn failed") && $0.contains("task=Env") }.count >= 2
            })
            #expect(m.process.isRunning)
            #expect(try await m.workerPids("Other") == other)
            // Back: the next try starts a worker with it.
            try "SECRET=three\n".write(toFile: envFile, atomically: true, encoding: .utf8)
            #expect(try await eventually {
                guard let new = try await m.workerPids("Env").first else { return false }
                return Self.environment(new)["SECRET"] == "three"
            })
        }
    }

    /// An exec failure of the worker behind the helper is still a spawn
    /// error naming the worker's path.
    @Test func execErrorsBehindTheHelperNameTheWorker() async throws {
        let ws = try Workspace()
        ws.task("MissingTask.sh", Scripts.sleeper)
        ws.task("NotExecTask.sh", Scripts.sleeper, executable: false)
        ws.task("NoShebangTask.sh", "exec sleep 1000\n")
        let config = ws.config(
            #"""
            {"port": 0, \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh", "umask": "0022",
             "autotasks": {"Missing": {"cmd": "no-such-program"}, "NotExec": {}, "NoShebang": {}}}
            """#)
        try await withManager(ws, config: config) { m in
            for (task, path, code) in [
                ("Missing", "\(ws.tasks)/no-such-program", ENOENT), ("NotExec", "\(ws.tasks)/NotExecTask.sh", EACCES),
                ("NoShebang", "\(ws.tasks)/NoShebangTask.sh", ENOEXEC),
            ] {
                var status: [String: String] = [:]
                let failed = try await eventually {
                    status = try await m.status(task)
                    return status["Last spawn error"] != nil
                }
                #expect(failed, "\(task)")
                #expect(status["Last spawn error"] == "cannot start \(path): \(String(cString: strerror(code)))")
            }
            #expect(m.liveWorkers().isEmpty)
        }
    }

    @Test func checkConfigPrintsEffectiveSettingsWithoutStartingAnything() async throws {
        let ws = try Workspace()
        let marker = ws.path + "/started"
        let config = ws.standardConfig(
            tasks: ["Work": "#!/bin/sh\ntouch \(marker)\nexec sleep 1000\n"],
            autotasks: #"{"Work": {"env": {"TOKEN": "hidden-value"}, "umask": "0077", "stop_signal": "USR2", "rlimits": {"nofile": 512}}}"#)
        let result = try await runCommand(managerBinary, ["--check-config", "-conf=\(config)"])
        #expect(result.status == 0)
        let out = result.stdout
        #expect(out.hasPrefix("config \(config): valid, 1 task(s)\n"))
        #expect(out.contains("\ntask Work\n"))
        #expect(out.contains("  env: [TOKEN] (values hidden)\n"))
        #expect(out.contains("  umask: 0077\n"))
        #expect(out.contains("  stop_signal: SIGUSR2\n"))
        #expect(out.contains("  rlimits.nofile: soft 512, hard 512\n"))
        #expect(out.contains("  exec helper: yes\n"))
        #expect(!out.contains("hidden-value"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// One clear line naming the key, exit status 2, nothing started; the
    /// same with --check-config.
    @Test func badValuesAreRefusedBeforeAnythingStarts() async throws {
        let ws = try Workspace()
        let marker = ws.path + "/started"
        ws.task("WorkTask.sh", "#!/bin/sh\ntouch \(marker)\nexec sleep 1000\n")
        ws.task("OtherTask.sh", "#!/bin/sh\ntouch \(marker)\nexec sleep 1000\n")
        let cases: [(String, String)] = [
            (#""umask": "999""#, #""autotasks.Work.umask": must be an octal string"#),
            (#""user": "no-such-user-wpm""#, #""autotasks.Work.user": no user "no-such-user-wpm""#),
            (#""group": "no-such-group-wpm""#, #""autotasks.Work.group": no group "no-such-group-wpm""#),
            (#""stop_signal": "STOP""#, #""autotasks.Work.stop_signal": must be one of TERM"#),
            (#""rlimits": {"nofile": {"soft": 10, "hard": 5}}"#, #""autotasks.Work.rlimits.nofile": the soft limit (10)"#),
            (#""cwd": "\#(ws.path)/nowhere""#, #""autotasks.Work.cwd": "\#(ws.path)/nowhere" cannot be used"#),
            (#""env": {"A": 1}"#, #""autotasks.Work.env.A": must be a string"#),
            (#""env": {"A=B": "1"}"#, #""autotasks.Work.env": variable name "A=B" must not contain "=""#),
            (#""env": {"A\u0000": "1"}"#, #""autotasks.Work.env": variable name "A\0" must not contain a NUL"#),
            (#""nice": -21"#, #""autotasks.Work.nice": must be a whole number from -20 to 19"#),
            (#""oom_score_adj": "high""#, #""autotasks.Work.oom_score_adj": must be a whole number"#),
            (#""env_file": ["x"]"#, #""autotasks.Work.env_file": must be a string"#),
            (#""clear_env": 1"#, #""autotasks.Work.clear_env": must be true or false"#),
        ]
        for (entry, message) in cases {
            let config = ws.config(
                #"{"port": 0, \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Work": {\#(entry)}, "Other": {}}}"#)
            for arguments in [["-conf=\(config)"], ["--check-config", "-conf=\(config)"]] {
                // (runCommand waits for the end of the output, not only of the process.)
                let result = try await runCommand(managerBinary, arguments, environment: environmentWithoutWPM(["WPMTEST_TAG": ws.tag]))
                let (status, stderr) = (result.status, result.stderr)
                #expect(status == 2, "\(entry)")
                let lines = stderr.split(separator: "\n")
                #expect(lines.count == 1, "\(entry): \(stderr)")
                #expect(stderr.hasPrefix("wpmanager: config \(config): \(message)"), "\(entry): \(stderr)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(ws.liveProcesses().isEmpty)
    }

    /// As another user than root, `user` and `group` are refused; the
    /// bundled example config needs no root.
    @Test(.enabled(if: geteuid() == 0, "needs root to become another user"))
    func userAndGroupNeedRootButTheExampleDoesNot() async throws {
        let ws = try Workspace()
        ws.task("WorkTask.sh", Scripts.sleeper)
        chmod(ws.path, 0o755)
        chmod(ws.tasks, 0o755)
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        for (key, value) in [("user", "nobody"), ("group", "nogroup")] {
            let config = ws.config(
                #"{"port": 0, \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Work": {"\#(key)": "\#(value)"}}}"#)
            chmod(config, 0o644)
            let result = try await runCommand(nobody[0], Array(nobody.dropFirst()) + [managerBinary, "-conf=\(config)"])
            #expect(result.status == 2)
            #expect(
                result.stderr
                    == "wpmanager: config \(config): \"autotasks.Work.\(key)\": can only be set when wpmanager runs as root (it runs as uid 65534)\n")
        }
        // A config without them runs as that user: workers start, through
        // the exec helper too (for the parent-death signal).
        chmod(ws.path, 0o777)
        let plain = ws.config(
            #"{"port": 0, \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Work": {"cardinality": 2, "pdeathsig": true}}}"#)
        chmod(plain, 0o644)
        let m = try Manager(ws, config: plain, wrapper: nobody)
        do {
            try await m.waitUntilListening()
            for pid in try await m.waitForWorkers("Work", count: 2) {
                #expect(Self.status(pid, "Uid")?.hasPrefix("65534\t") == true)
            }
        } catch {
            try? await m.finish()
            throw error
        }
        try await m.finish()
        let check = try await runCommand(
            nobody[0], Array(nobody.dropFirst()) + [managerBinary, "--check-config", "-conf=resources/etc/wpmanager/example.json"],
            directory: repositoryRoot)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("\ntask Example\n"))
    }
}
}
