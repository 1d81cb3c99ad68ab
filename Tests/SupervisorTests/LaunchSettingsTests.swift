import Foundation
import Testing

@testable import Supervisor

/// The launch keys (env, clear_env, env_file, cwd, user, group, umask, nice,
/// oom_score_adj, rlimits, stop_signal, pdeathsig, autostart): defaults at
/// the top level, overrides per task, and every key tried wrong.
@Suite struct LaunchSettingsTests {
    func config(_ dir: TaskDirectory, top: String = "", task: String = "") -> String {
        """
        {"path": "\(dir.path)", "filesuffix": "Task.sh", \(top.isEmpty ? "" : top + ",")
         "autotasks": {"Work": {\(task)}}}
        """
    }

    @Test func topLevelKeysAreDefaultsAndTasksOverrideThem() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh", "IdleTask.sh"])
        let loaded = try dir.parse(
            config(
                dir,
                top: #""env": {"A": "1", "B": "2"}, "umask": "0027", "stop_signal": "INT", "rlimits": {"nofile": 4096}, "nice": 5"#,
                task: #""env": {"B": "3", "HOME": null}, "stop_signal": "SIGQUIT", "rlimits": {"core": {"soft": 0, "hard": "unlimited"}}, "oom_score_adj": 500, "autostart": false"#
            ))
        let work = try #require(loaded.tasks.first { $0.name == "Work" }).launch
        let idle = try #require(loaded.tasks.first { $0.name == "Idle" }).launch
        #expect(idle.env == ["A": "1", "B": "2"])
        #expect(idle.umask == 0o027 && idle.stopSignal == SIGINT && idle.nice == 5)
        #expect(work.env == ["A": "1", "B": "3", "HOME": nil])
        #expect(work.stopSignal == SIGQUIT)
        #expect(work.umask == 0o027)
        #expect(work.oomScoreAdj == 500)
        #expect(work.rlimits["nofile"] == ResourceLimit(soft: 4096, hard: 4096))
        #expect(work.rlimits["core"] == ResourceLimit(soft: 0, hard: ResourceLimit.unlimited))
        #expect(loaded.tasks.first { $0.name == "Work" }?.autostart == false)
        #expect(work.needsHelper)
    }

    @Test func defaultsChangeNothing() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh"])
        let launch = try #require(try dir.parse(config(dir)).tasks.first).launch
        #expect(launch == LaunchSettings())
        #expect(launch.stopSignal == SIGTERM)
        #expect(!launch.changesEnvironment)
    }

    @Test func userAndGroupResolveFromTheDatabases() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh"])
        let launch = try #require(try dir.parse(config(dir, task: #""user": "nobody", "group": 0"#)).tasks.first).launch
        #expect(launch.user?.uid == 65534)
        #expect(launch.user?.name == "nobody")
        #expect(launch.group == GroupIdentity(name: "root", gid: 0))
        #expect(launch.supplementaryGroups?.first == 0)
        let numeric = try #require(try dir.parse(config(dir, task: #""user": "0""#)).tasks.first).launch
        #expect(numeric.user?.name == "root")
    }

    @Test(arguments: [
        (#""env": "A=1""#, #""autotasks.Work.env": must be an object, got a string"#),
        (#""env": {"A": 1}"#, #""autotasks.Work.env.A": must be a string (or null to remove the variable), got an integer (1)"#),
        (#""env": {"A=B": "1"}"#, #""autotasks.Work.env": variable name "A=B" must not contain "=""#),
        (#""env": {"A\u0000B": "1"}"#, #""autotasks.Work.env": variable name "A\0B" must not contain a NUL character"#),
        (#""env": {"": "1"}"#, #""autotasks.Work.env": a variable name must not be empty"#),
        (#""env": {"A": "x\u0000y"}"#, #""autotasks.Work.env.A": must not contain a NUL character"#),
        (#""env": {"WPM_TASK_NAME": "x"}"#, #""autotasks.Work.env": variable "WPM_TASK_NAME" is set by the manager for every worker"#),
        (#""clear_env": "yes""#, #""autotasks.Work.clear_env": must be true or false, got a string ("yes")"#),
        (#""env_file": 3"#, #""autotasks.Work.env_file": must be a string, got an integer (3)"#),
        (#""env_file": """#, #""autotasks.Work.env_file": must not be empty"#),
        (#""cwd": "/no/such/dir""#, #""autotasks.Work.cwd": "/no/such/dir" cannot be used: No such file or directory"#),
        (#""cwd": "/etc/passwd""#, #""autotasks.Work.cwd": "/etc/passwd" is not a directory"#),
        (#""user": "no-such-user-wpm""#, #""autotasks.Work.user": no user "no-such-user-wpm" in the user database"#),
        (#""user": 4000000"#, #""autotasks.Work.user": no uid 4000000 in the user database"#),
        (#""user": true"#, #""autotasks.Work.user": must be a user name or a uid, got a boolean (true)"#),
        (#""group": "no-such-group-wpm""#, #""autotasks.Work.group": no group "no-such-group-wpm" in the group database"#),
        (#""group": -1"#, #""autotasks.Work.group": must be a group name or a gid, got an integer (-1)"#),
        (#""umask": "999""#, #""autotasks.Work.umask": must be an octal string from "0000" to "0777", such as "0027", got "999""#),
        (#""umask": "01777""#, #""autotasks.Work.umask": must be an octal string from "0000" to "0777", such as "0027", got "01777""#),
        (#""umask": 18"#, #""autotasks.Work.umask": must be a string, got an integer (18)"#),
        (#""nice": 20"#, #""autotasks.Work.nice": must be a whole number from -20 to 19, got 20"#),
        (#""nice": "5""#, #""autotasks.Work.nice": must be a whole number from -20 to 19, got a string ("5")"#),
        (#""oom_score_adj": 1001"#, #""autotasks.Work.oom_score_adj": must be a whole number from -1000 to 1000, got 1001"#),
        (#""rlimits": {"nofile": {"soft": 100, "hard": 10}}"#, #""autotasks.Work.rlimits.nofile": the soft limit (100) must not be above the hard limit (10)"#),
        (#""rlimits": {"nofile": -1}"#, #""autotasks.Work.rlimits.nofile": must be a whole number, "unlimited" or {"soft": N, "hard": M}, got an integer (-1)"#),
        (#""rlimits": {"nofile": {"soft": 1}}"#, #""autotasks.Work.rlimits.nofile": must have both "soft" and "hard""#),
        (#""rlimits": {"nofile": {"soft": 1, "hard": 2, "x": 3}}"#, #""autotasks.Work.rlimits.nofile.x": is not "soft" or "hard""#),
        (#""rlimits": {"cpu": 1}"#, #""autotasks.Work.rlimits.cpu": is not a limit that can be set (known: nofile, nproc, core, as, memlock)"#),
        (#""rlimits": [1]"#, #""autotasks.Work.rlimits": must be an object, got an array"#),
        (#""stop_signal": "KILL""#, #""autotasks.Work.stop_signal": must be one of TERM, INT, QUIT, HUP, USR1, USR2, WINCH (with or without SIG), got a string ("KILL")"#),
        (#""stop_signal": 15"#, #""autotasks.Work.stop_signal": must be one of TERM, INT, QUIT, HUP, USR1, USR2, WINCH (with or without SIG), got an integer (15)"#),
        (#""pdeathsig": 1"#, #""autotasks.Work.pdeathsig": must be true or false, got an integer (1)"#),
        (#""autostart": "no""#, #""autotasks.Work.autostart": must be true or false, got a string ("no")"#),
    ])
    func everyKeyTriedWrongNamesIt(entry: String, message: String) throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh"])
        let error = try #require(dir.error(config(dir, task: entry)))
        #expect(error.description == "config test.json: \(message)")
        // The same key at the top level is named without the task.
        let top = try #require(dir.error(config(dir, top: entry)))
        #expect(top.description == "config test.json: \(message.replacingOccurrences(of: "autotasks.Work.", with: ""))")
    }

    @Test func anUnreadableEnvFileIsAWarningAtLoad() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh"])
        let loaded = try dir.parse(config(dir, task: #""env_file": "/no/such/file.env""#))
        #expect(loaded.warnings.contains {
            $0.contains(#""autotasks.Work.env_file": "/no/such/file.env" cannot be read now"#)
        })
    }

    @Test func settingsShownHideEnvironmentValues() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh"])
        let spec = try #require(
            try dir.parse(config(dir, task: #""env": {"SECRET": "hunter2", "GONE": null}, "umask": "7""#)).tasks.first)
        let settings = TaskSettings(spec)
        #expect(settings.env == ["SECRET"])
        #expect(settings.envRemoved == ["GONE"])
        #expect(settings.umask == "0007")
        let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        #expect(!json.contains("hunter2"))
        #expect(!settings.lines.joined().contains("hunter2"))
        #expect(settings.lines.contains("stop_signal: SIGTERM"))
    }
}

@Suite struct EnvironmentFileTests {
    func parse(_ text: String) throws -> [String] {
        try EnvironmentFile.parse(Array(text.utf8)).map { "\($0.0)=\($0.1)" }
    }

    @Test func systemdSyntax() throws {
        let text = """
            # a comment
            ; another
              PLAIN = some value  \t
            EMPTY=
            no equals sign here
            SINGLE='it''s \\n $HOME
            two lines'
            DOUBLE="a \\"q\\" \\\\ \\$x \\n"
            CONT=one \\
            two
            ESC=a\\ b\\\\c
            INNER=x"y"'z'
            QUEUE=high
            QUEUE=low
            """
        #expect(
            try parse(text) == [
                "PLAIN=some value", "EMPTY=", "SINGLE=its \\n $HOME\ntwo lines", "DOUBLE=a \"q\" \\ $x \\n",
                "CONT=one two", "ESC=a b\\c", "INNER=x\"y\"'z'", "QUEUE=high", "QUEUE=low",
            ])
    }

    @Test func badFilesAreErrors() {
        #expect(throws: EnvironmentFile.Problem.self) { try parse("A='open\n") }
        #expect(throws: EnvironmentFile.Problem.self) { try parse("export A=1\n") }
        #expect(throws: EnvironmentFile.Problem.self) { try parse("=1\n") }
        #expect(throws: EnvironmentFile.Problem.self) { try parse("A=1\0\n") }
        #expect(throws: EnvironmentFile.Problem.self) { try EnvironmentFile.read("/no/such/file") }
    }
}
