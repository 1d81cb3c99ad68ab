import Foundation
import Testing

/// Runs `wpmanager` to completion with `arguments`; returns status and
/// stderr. One that does not end is stopped (its workers get their
/// parent-death signal). Other managers of the workspace are left alone.
func runManager(
    _ arguments: [String], workspace: Workspace, environment: [String: String] = [:]
) async throws -> (status: Int32, stderr: String) {
    let m = try Manager(workspace, config: "", arguments: arguments, environment: environment)
    do {
        let status = try await m.waitForExit(timeout: .seconds(30))
        return (status, m.stderr.text)
    } catch {
        _ = try? await m.terminate(SIGKILL)
        throw error
    }
}

extension IntegrationSuite {
    /// Flags, bad configs and addresses: refused at start with exit status 2.
    @Suite struct CommandLineTests {
        @Test func everySpellingOfTheConfigFlag() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
            for arguments in [["-conf=\(config)"], ["-conf", config], ["--conf", config], ["--config", config], ["--conf=\(config)"]] {
                try await withManager(ws, config: config, arguments: arguments) { m in
                    let body = try await m.get("/list").body
                    #expect(body == "Work\n", "\(arguments)")
                }
            }
        }

        @Test func usageErrorsExit2() async throws {
            let ws = try Workspace()
            for arguments in [[], ["-conf"], ["--bogus"], ["-conf=/x", "extra"]] {
                let (status, stderr) = try await runManager(arguments, workspace: ws)
                #expect(status == 2, "\(arguments)")
                #expect(stderr.lowercased().contains("usage: wpmanager -conf <file>"), "\(arguments): \(stderr)")
            }
            let m = try Manager(ws, config: "", arguments: ["--help"])
            #expect(try await m.waitForExit() == 0)
            #expect(m.stdout.text.contains("-conf"))
        }

        @Test func badConfigsExit2NamingFileAndKey() async throws {
            let ws = try Workspace()
            ws.task("GoodTask.sh", Scripts.sleeper)
            let cases: [(String, String)] = [
                (#"{"path": "\#(ws.tasks)", "port": "x"}"#, #""port": must be a port number"#),
                (#"{"path": "\#(ws.tasks)", "port": 70000}"#, #""port": must be a port number"#),
                (#"{"path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Good": {"cardinality": -1}}}"#, #""autotasks.Good.cardinality""#),
                (#"{"path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Good": {"cardinality": 0}}}"#, #""autotasks.Good.cardinality""#),
                (#"{"path": "\#(ws.tasks)", "keepalives": {"stall_timeout": 0}}"#, #""keepalives.stall_timeout""#),
                (#"{"path": "\#(ws.tasks)", "keepalives": {"grace_period": -1}}"#, #""keepalives.grace_period""#),
                (#"{"path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Nope": {}}}"#, #""autotasks.Nope": names no task"#),
                (#"{"port": 8010}"#, #""path": is missing"#),
                (#"{"path": "\#(ws.path)/missing"}"#, #""path""#),
                (#"{"path": "#, "malformed JSON"),
                (#"{"path": "\#(ws.tasks)", "log_dir": "\#(ws.path)/no-logs"}"#, #""log_dir": "\#(ws.path)/no-logs" cannot be used"#),
                (#"{"path": "\#(ws.tasks)", "log_dir": "\#(ws.tasks)", "log_max_size": 100}"#, #""log_max_size": must be 0"#),
                (#"{"path": "\#(ws.tasks)", "log_dir": "\#(ws.tasks)", "log_backups": "3"}"#, #""log_backups": must be"#),
            ]
            for (json, expected) in cases {
                let file = ws.config(json)
                let (status, stderr) = try await runManager(["-conf=\(file)"], workspace: ws)
                #expect(status == 2, "\(json)")
                #expect(stderr.contains("wpmanager: config \(file): "), "\(stderr)")
                #expect(stderr.contains(expected), "\(json): \(stderr)")
            }
            let (status, stderr) = try await runManager(["-conf=\(ws.path)/none.json"], workspace: ws)
            #expect(status == 2)
            #expect(stderr.contains("cannot read the file"))
        }

        @Test func unknownKeysAreAcceptedWithAWarning() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], extra: ["profiler": ["port": 6060], "pidfile": "/x"])
            try await withManager(ws, config: config) { m in
                #expect(m.stderr.text.contains(#"unknown key "profiler" ignored"#))
                #expect(m.stderr.text.contains(#"unknown key "pidfile" ignored"#))
            }
        }

        @Test func listensOnLoopbackByDefaultAndWhereToldOtherwise() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
            try await withManager(ws, config: config) { m in
                #expect(m.host == "127.0.0.1")
            }
            try await withManager(ws, config: config, arguments: ["-conf=\(config)", "--listen", "127.0.0.2"]) { m in
                let body = try await m.get("/list").body
                #expect(m.host == "127.0.0.2")
                #expect(body == "Work\n")
            }
            let fromConfig = ws.standardConfig(tasks: [:], extra: ["listen": "127.0.0.3"])
            try await withManager(ws, config: fromConfig, arguments: ["-listen=127.0.0.3", "-conf", fromConfig]) { m in
                let list = try await m.get("/list")
                #expect(m.host == "127.0.0.3")
                #expect(list.status == 200)
            }
        }

        @Test func aPortInUseIsRefusedWithExit2AndNoWorkerStarts() async throws {
            let ws = try Workspace()
            let first = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
            try await withManager(ws, config: first) { m in
                let second = ws.config(
                    #"{"port": \#(m.port), \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh", "autotasks": {"Work": {}}}"#)
                let (status, stderr) = try await runManager(["-conf=\(second)"], workspace: ws)
                #expect(status == 2)
                #expect(stderr.contains("cannot listen on 127.0.0.1:\(m.port)"), "\(stderr)")
                #expect(m.liveWorkers().isEmpty)
            }
        }
    }
}
