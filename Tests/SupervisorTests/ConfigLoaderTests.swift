import Foundation
import Testing

@testable import Supervisor

@Suite struct ConfigLoaderTests {
    @Test func goExampleConfigLoadsUnchanged() throws {
        let dir = try TaskDirectory(files: ["ExampleTask.php", "FailingTask.php", "PoolWorker.php"])
        let config = try dir.parse(
            """
            {
            \t"port": 8010,
            \t"keepalives": {"host": "localhost", "inbound_port": 5591, "internal_port": 5592,
            \t               "stall_timeout": 10000, "grace_period": 1000},
            \t"pidfile": "/var/run/php.d/example.pid",
            \t"profiler": {"enabled": false},
            \t"path": "\(dir.path)/",
            \t"filesuffix": "Task.php",
            \t"autotasks": {"Example": {"cardinality": 1}, "Failing": {"cardinality": 1}}
            }
            """)
        #expect(config.port == 8010)
        #expect(config.listen == "127.0.0.1")
        #expect(config.keepalives.stallTimeoutMS == 10000)
        #expect(config.keepalives.gracePeriodMS == 1000)
        #expect(config.tasks.map(\.name) == ["Example", "Failing"])
        #expect(config.tasks.allSatisfy { $0.autostart && $0.cardinality == 1 })
        #expect(config.tasks[0].command == dir.path + "/ExampleTask.php")
        #expect(config.tasks[0].stallTimeoutMS == 10000)
        #expect(config.tasks[0].gracePeriodMS == 1000)
        #expect(
            config.warnings == [
                "config test.json: unknown key \"pidfile\" ignored",
                "config test.json: unknown key \"profiler\" ignored",
            ])
    }

    @Test func goDateConfigJoinsRelativeCommandToPath() throws {
        let dir = try TaskDirectory(files: ["date", "ls"])
        let config = try dir.parse(
            """
            {"port": 8010, "keepalives": {"stall_timeout": 2000, "grace_period": 10}, "path": "\(dir.path)",
             "filesuffix": "", "autotasks": {"date": {"cardinality": 1, "cmd": "date", "args": [], "capture_output": true}}}
            """)
        let date = try #require(config.tasks.first { $0.name == "date" })
        #expect(date.command == dir.path + "/date")
        #expect(date.args == [])
        #expect(date.captureOutput)
        #expect(date.autostart)
        let ls = try #require(config.tasks.first { $0.name == "ls" })
        #expect(!ls.autostart)
        #expect(ls.cardinality == 1)
        #expect(!ls.captureOutput)
    }

    @Test func defaults() throws {
        let dir = try TaskDirectory(files: ["a"])
        let config = try dir.parse(#"{"path": "\#(dir.path)"}"#)
        #expect(config.port == 8010)
        #expect(config.keepalives == KeepAliveConfig())
        #expect(config.keepalives.host == "localhost")
        #expect(config.keepalives.inboundPort == 5591)
        #expect(config.keepalives.internalPort == 5592)
        #expect(config.keepalives.stallTimeoutMS == 60000)
        #expect(config.keepalives.gracePeriodMS == 100)
        #expect(config.forceTimeoutMS == 15000)
        #expect(config.maxCardinality == 10000)
        #expect(config.fileSuffix == "")
        #expect(config.tasks == [TaskSpec(name: "a", command: dir.path + "/a")])
        #expect(config.warnings.isEmpty)
    }

    @Test func discoverySkipsDirectoriesDotfilesAndOtherSuffixes() throws {
        let dir = try TaskDirectory(
            files: ["OneTask.sh", ".HiddenTask.sh", "notes.txt", "Task.sh", "TwoTask.sh"],
            directories: ["DirTask.sh"])
        symlink(dir.path + "/OneTask.sh", dir.path + "/LinkTask.sh")
        symlink(dir.path + "/DirTask.sh", dir.path + "/LinkDirTask.sh")
        let config = try dir.parse(#"{"path": "\#(dir.path)", "filesuffix": "Task.sh"}"#)
        #expect(config.tasks.map(\.name) == ["Link", "One", "Two"])
        #expect(config.tasks.allSatisfy { !$0.autostart })
    }

    @Test func autotaskOverridesAndExtensions() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh"])
        let config = try dir.parse(
            """
            {"path": "\(dir.path)", "filesuffix": "Task.sh", "listen": "0.0.0.0", "max_cardinality": 50,
             "autotasks": {"Work": {"cardinality": 50, "cmd": "/bin/sleep", "args": ["100", "x y"],
                                    "capture_output": false, "stall_timeout": 3000, "grace_period": 250,
                                    "autostart": true, "restart": "always"}}}
            """)
        let task = try #require(config.tasks.first)
        #expect(task.command == "/bin/sleep")
        #expect(task.args == ["100", "x y"])
        #expect(task.cardinality == 50)
        #expect(task.stallTimeoutMS == 3000)
        #expect(task.gracePeriodMS == 250)
        #expect(config.listen == "0.0.0.0")
        #expect(task.autostart)
        #expect(config.warnings == ["config test.json: unknown key \"autotasks.Work.restart\" ignored"])
    }

    @Test func restartPolicyGlobalAndPerTask() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh", "OtherTask.sh"])
        let config = try dir.parse(
            """
            {"path": "\(dir.path)", "filesuffix": "Task.sh", "min_uptime": 2000, "backoff_initial": 500,
             "autotasks": {"Work": {"backoff_max": 8000, "min_uptime": 0, "backoff_reset": 5000}}}
            """)
        #expect(config.restart == RestartPolicy(minUptimeMS: 2000, initialBackoffMS: 500, maxBackoffMS: 60_000))
        let work = try #require(config.tasks.first { $0.name == "Work" })
        let other = try #require(config.tasks.first { $0.name == "Other" })
        #expect(work.restart == RestartPolicy(minUptimeMS: 0, initialBackoffMS: 500, maxBackoffMS: 8000, backoffResetMS: 5000))
        #expect(other.restart == config.restart)
        let defaults = try dir.parse(#"{"path": "\#(dir.path)"}"#)
        #expect(defaults.restart == RestartPolicy(minUptimeMS: 1000, initialBackoffMS: 1000, maxBackoffMS: 60_000))
        #expect(defaults.restart.backoffResetMS == 60_000)
    }

    @Test func drainAndRecyclingKeys() throws {
        let dir = try TaskDirectory(files: ["WorkTask.sh", "OtherTask.sh"])
        let config = try dir.parse(
            """
            {"path": "\(dir.path)", "filesuffix": "Task.sh",
             "autotasks": {"Work": {"drain_signal": "sigtstp", "drain_timeout": 5000, "max_lifetime": 3600000,
                                    "lifetime_jitter": 0.25, "max_memory": "200MiB", "memory_check_interval": 500, "max_jobs": 100},
                           "Other": {"drain_signal": "USR1", "max_memory": 1000000}}}
            """)
        let work = try #require(config.tasks.first { $0.name == "Work" })
        let other = try #require(config.tasks.first { $0.name == "Other" })
        #expect(work.drain == DrainSettings(signal: SIGTSTP, timeoutMS: 5000))
        #expect(work.recycle.maxLifetimeMS == 3_600_000)
        #expect(work.recycle.lifetimeJitter == 0.25)
        #expect(work.recycle.maxMemoryBytes == 200 << 20)
        #expect(work.recycle.memoryCheckIntervalMS == 500)
        #expect(work.recycle.maxJobs == 100)
        #expect(other.drain == DrainSettings(signal: SIGUSR1, timeoutMS: 30_000))
        #expect(other.recycle.maxMemoryBytes == 1_000_000)
        #expect(other.recycle.memoryCheckIntervalMS == 2000)
        #expect(TaskSettings(work).lines.contains("max_memory: 209715200 (200 MiB), memory_check_interval: 500"))
        #expect(TaskSettings(work).lines.contains("drain_signal: SIGTSTP, drain_timeout: 5000"))
    }

    /// Every key tried with a wrong type or an impossible value: refused,
    /// naming the key.
    @Test(arguments: [
        (#""port": "8010""#, "port", "must be a port number"),
        (#""port": 65536"#, "port", "got 65536"),
        (#""port": -1"#, "port", "got -1"),
        (#""port": 80.5"#, "port", "got a number"),
        (#""port": true"#, "port", "got a boolean"),
        (#""listen": 127"#, "listen", "must be a string"),
        (#""listen": """#, "listen", "must be an IP address"),
        (#""keepalives": []"#, "keepalives", "must be an object"),
        (#""keepalives": {"host": 1}"#, "keepalives.host", "must be a string"),
        (#""keepalives": {"host": ""}"#, "keepalives.host", "must not be empty"),
        (#""keepalives": {"inbound_port": 70000}"#, "keepalives.inbound_port", "got 70000"),
        (#""keepalives": {"internal_port": "x"}"#, "keepalives.internal_port", "got a string"),
        (#""keepalives": {"inbound_port": 6000, "internal_port": 6000}"#, "keepalives.internal_port", "must differ"),
        (#""keepalives": {"stall_timeout": 0}"#, "keepalives.stall_timeout", "positive"),
        (#""keepalives": {"stall_timeout": -5}"#, "keepalives.stall_timeout", "got -5"),
        (#""keepalives": {"grace_period": 0}"#, "keepalives.grace_period", "positive"),
        (#""keepalives": {"grace_period": null}"#, "keepalives.grace_period", "got null"),
        (#""force_timeout": 0"#, "force_timeout", "positive"),
        (#""force_timeout": 1e400"#, "force_timeout", "out of range"),
        (#""max_cardinality": 0"#, "max_cardinality", "from 1 to"),
        (#""autotasks": [1]"#, "autotasks", "must be an object"),
        (#""autotasks": {"Nope": {}}"#, "autotasks.Nope", "names no task"),
        (#""autotasks": {"Good": 1}"#, "autotasks.Good", "must be an object"),
        (#""autotasks": {"Good": {"cardinality": 0}}"#, "autotasks.Good.cardinality", "got 0"),
        (#""autotasks": {"Good": {"cardinality": -3}}"#, "autotasks.Good.cardinality", "got -3"),
        (#""autotasks": {"Good": {"cardinality": 1.5}}"#, "autotasks.Good.cardinality", "got a number (1.5)"),
        (#""autotasks": {"Good": {"cardinality": "2"}}"#, "autotasks.Good.cardinality", "got a string"),
        (#""autotasks": {"Good": {"cardinality": 10001}}"#, "autotasks.Good.cardinality", "max_cardinality"),
        (#""autotasks": {"Good": {"cmd": ""}}"#, "autotasks.Good.cmd", "must not be empty"),
        (#""autotasks": {"Good": {"cmd": ["a"]}}"#, "autotasks.Good.cmd", "must be a string"),
        (#""autotasks": {"Good": {"args": "a b"}}"#, "autotasks.Good.args", "array of strings"),
        (#""autotasks": {"Good": {"args": ["a", 2]}}"#, "autotasks.Good.args[1]", "must be a string"),
        (#""autotasks": {"Good": {"capture_output": "yes"}}"#, "autotasks.Good.capture_output", "true or false"),
        (#""autotasks": {"Good": {"stall_timeout": 0}}"#, "autotasks.Good.stall_timeout", "positive"),
        (#""autotasks": {"Good": {"grace_period": -1}}"#, "autotasks.Good.grace_period", "got -1"),
        (#""log_dir": 5"#, "log_dir", "must be a string"),
        (#""log_dir": """#, "log_dir", "must not be empty"),
        (#""log_dir": "/nonexistent/wpm-logs""#, "log_dir", "No such file or directory"),
        (#""log_dir": "/dev/null""#, "log_dir", "is not a directory"),
        (#""log_dir": "/tmp", "log_max_size": -1"#, "log_max_size", "got -1"),
        (#""log_dir": "/tmp", "log_max_size": 1023"#, "log_max_size", "must be 0 (never rotate) or at least 1024 bytes, got 1023"),
        (#""log_dir": "/tmp", "log_max_size": "10M""#, "log_max_size", "got a string"),
        (#""log_dir": "/tmp", "log_max_size": 1.5"#, "log_max_size", "got a number"),
        (#""log_dir": "/tmp", "log_backups": -1"#, "log_backups", "from 0 to 1000, got -1"),
        (#""log_dir": "/tmp", "log_backups": 1001"#, "log_backups", "got 1001"),
        (#""min_uptime": -1"#, "min_uptime", "got -1"),
        (#""backoff_initial": 0"#, "backoff_initial", "must be a positive whole number of milliseconds, got 0"),
        (#""backoff_max": "1m""#, "backoff_max", "got a string"),
        (#""backoff_initial": 5000, "backoff_max": 1000"#, "backoff_max", "backoff_max (1000) must be at least backoff_initial (5000)"),
        (#""backoff_initial": 90000"#, "backoff_initial", "backoff_max (60000) must be at least backoff_initial (90000)"),
        (#""autotasks": {"Good": {"backoff_max": 0}}"#, "autotasks.Good.backoff_max", "got 0"),
        (#""autotasks": {"Good": {"min_uptime": 1.5}}"#, "autotasks.Good.min_uptime", "got a number"),
        (#""backoff_reset": -5"#, "backoff_reset", "got -5"),
        (#""autotasks": {"Good": {"drain_signal": "STOP"}}"#, "autotasks.Good.drain_signal", "must be a signal name"),
        (#""autotasks": {"Good": {"drain_signal": "KILL"}}"#, "autotasks.Good.drain_signal", "must be a signal name"),
        (#""autotasks": {"Good": {"drain_signal": 10}}"#, "autotasks.Good.drain_signal", "got an integer"),
        (#""autotasks": {"Good": {"drain_timeout": 500}}"#, "autotasks.Good.drain_timeout", "without drain_signal"),
        (#""autotasks": {"Good": {"drain_signal": "TSTP", "drain_timeout": 0}}"#, "autotasks.Good.drain_timeout", "got 0"),
        (#""autotasks": {"Good": {"max_lifetime": 0}}"#, "autotasks.Good.max_lifetime", "got 0"),
        (#""autotasks": {"Good": {"max_lifetime": 1000, "lifetime_jitter": 1.5}}"#, "autotasks.Good.lifetime_jitter", "fraction from 0 to 1"),
        (#""autotasks": {"Good": {"lifetime_jitter": 0.1}}"#, "autotasks.Good.lifetime_jitter", "without max_lifetime"),
        (#""autotasks": {"Good": {"max_memory": "200 furlongs"}}"#, "autotasks.Good.max_memory", "such as \"200MiB\""),
        (#""autotasks": {"Good": {"max_memory": 0}}"#, "autotasks.Good.max_memory", "got an integer (0)"),
        (#""autotasks": {"Good": {"memory_check_interval": 500}}"#, "autotasks.Good.memory_check_interval", "without max_memory"),
        (#""autotasks": {"Good": {"max_memory": "1GiB", "memory_check_interval": 10}}"#, "autotasks.Good.memory_check_interval", "100 or more"),
        (#""autotasks": {"Good": {"max_jobs": 0}}"#, "autotasks.Good.max_jobs", "got 0"),
        (#""autotasks": {"Good": {"backoff_reset": "60s"}}"#, "autotasks.Good.backoff_reset", "got a string"),
        (#""state_file": 5"#, "state_file", "must be a string"),
        (#""state_file": """#, "state_file", "must not be empty"),
        (#""state_file": "/nonexistent/wpm/state.json""#, "state_file", #"its directory "/nonexistent/wpm" does not exist"#),
        (#""state_file": "/tmp""#, "state_file", "is a directory"),
        (#""log_dir": "/tmp", "log_backups": true"#, "log_backups", "got a boolean"),
    ])
    func badValueIsRefusedNamingTheKey(fragment: String, key: String, problem: String) throws {
        let dir = try TaskDirectory(files: ["GoodTask.sh"])
        let json = #"{"path": "\#(dir.path)", "filesuffix": "Task.sh", \#(fragment)}"#
        let error = try #require(dir.error(json))
        #expect(error.key == key)
        #expect(error.problem.contains(problem), "\(error.problem)")
        #expect(error.description.hasPrefix("config test.json: \"\(key)\": "))
    }

    @Test func workerLogKeys() throws {
        let dir = try TaskDirectory(files: ["a"], directories: ["logs"])
        var config = try dir.parse(#"{"path": "\#(dir.path)", "log_dir": "\#(dir.path)/logs"}"#)
        #expect(config.workerLogs == WorkerLogConfig(directory: dir.path + "/logs", maxSize: 10_485_760, backups: 5))
        #expect(config.workerLogs?.path(of: "a") == dir.path + "/logs/a.log")
        config = try dir.parse(
            #"{"path": "\#(dir.path)", "log_dir": "\#(dir.path)/logs/", "log_max_size": 0, "log_backups": 0}"#)
        #expect(config.workerLogs == WorkerLogConfig(directory: dir.path + "/logs/", maxSize: 0, backups: 0))
        #expect(config.workerLogs?.path(of: "a") == dir.path + "/logs/a.log")
        #expect(config.warnings.isEmpty)
        // Without log_dir: no files, and the other two say they do nothing.
        config = try dir.parse(#"{"path": "\#(dir.path)", "log_max_size": 2048, "log_backups": 3}"#)
        #expect(config.workerLogs == nil)
        #expect(
            config.warnings == [
                "config test.json: \"log_max_size\" has no effect without \"log_dir\"",
                "config test.json: \"log_backups\" has no effect without \"log_dir\"",
            ])
        #expect(try dir.parse(#"{"path": "\#(dir.path)"}"#).workerLogs == nil)
    }

    @Test func aLogDirThatCannotBeWrittenIsRefused() throws {
        let dir = try TaskDirectory(directories: ["ro"])
        chmod(dir.path + "/ro", 0o555)
        defer { chmod(dir.path + "/ro", 0o755) }
        // Root may write into any directory, but not into a process's /proc one.
        let target = getuid() == 0 ? "/proc/1" : dir.path + "/ro"
        let error = try #require(dir.error(#"{"path": "\#(dir.path)", "log_dir": "\#(target)"}"#))
        #expect(error.key == "log_dir")
        #expect(error.problem.contains("is not writable"))
    }

    @Test func pathProblems() throws {
        let dir = try TaskDirectory(files: ["file"])
        #expect(dir.error(#"{"port": 8010}"#)?.key == "path")
        #expect(dir.error(#"{"port": 8010}"#)?.problem.contains("missing") == true)
        #expect(dir.error(#"{"path": ""}"#)?.key == "path")
        #expect(dir.error(#"{"path": 5}"#)?.problem.contains("must be a string") == true)
        #expect(dir.error(#"{"path": "\#(dir.path)/nowhere"}"#)?.problem.contains("No such file") == true)
        #expect(dir.error(#"{"path": "\#(dir.path)/file"}"#)?.problem.contains("not a directory") == true)
        #expect(dir.error(#"{"path": "\#(dir.path)", "filesuffix": 3}"#)?.key == "filesuffix")
    }

    @Test(arguments: ["", "{", "[1, 2]", #"{"path": }"#, "\u{00}", #"{"port": 80 80}"#, "null"])
    func malformedDocumentIsRefused(json: String) throws {
        let dir = try TaskDirectory()
        let error = try #require(dir.error(json))
        #expect(error.key == nil)
        #expect(error.description.hasPrefix("config test.json: "))
    }

    /// The decoder would keep the first of two (Go kept the last): refused,
    /// naming the key, wherever it is; the same name in other objects, in
    /// arrays, in values or inside strings is no duplicate.
    @Test(arguments: [
        (#"{"port": 1, "port": 2}"#, "port"),
        (#"{"autotasks": {"Mail": {"cardinality": 1, "args": ["a", "b"], "cardinality": 3}}}"#, "autotasks.Mail.cardinality"),
        (#"{"autotasks": {"Mail": {}, "Mail": {"cardinality": 2}}}"#, "autotasks.Mail"),
        (#"{"autotasks": {"A": {"env": {"X": "1"}}}, "env": {"X": "1", "X": "2"}}"#, "env.X"),
        (#"{"autotasks": {"A": {"args": [{"k": 1, "k": 2}]}}}"#, "autotasks.A.args.k"),
        (#"{"a\"b": 1, "a\"b": 2}"#, #"a\"b"#),
    ])
    func aKeyGivenTwiceIsRefused(json: String, key: String) throws {
        let error = try #require(TaskDirectory().error(json))
        #expect(error.key == key)
        #expect(error.problem == "is given twice in the same object: remove one (JSON readers differ on which counts)")
    }

    @Test func theSameNameInDifferentPlacesIsNoDuplicate() throws {
        let dir = try TaskDirectory()
        let json = #"""
            {"path": "\#(dir.path)", "env": {"port": "port", "path": "x"},
             "autotasks": {"env": {"env": {"env": "env, "env": 1"}}, "other": {"env": {"env": "1"}, "args": ["env", "env"]}}}
            """#
        #expect(DuplicateKeys.first(in: Array(json.utf8)) == nil)
        #expect(dir.error(#"{"path": "\#(dir.path)", "env": {"A": "1"}, "autotasks": {"x": {"env": {"A": "2"}}}}"#)?.problem.contains("twice") != true)
    }

    @Test func unreadableFileIsRefusedNamingIt() throws {
        do {
            _ = try ConfigLoader.load(file: "/nonexistent/wpm.json")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description == "config /nonexistent/wpm.json: cannot read the file: No such file or directory")
        }
    }
}
