import Foundation
import Testing

/// wpconsole without a terminal, against real managers: one-shot commands
/// and their exit status, commands piped in, several managers at once.
extension IntegrationSuite {
@Suite struct ConsoleScriptingTests {
    static func config(_ ws: Workspace) -> String {
        ws.standardConfig(
            tasks: ["Alpha": Scripts.sleeper, "Beta": Scripts.sleeper, "Idle": Scripts.sleeper],
            autotasks: #"{"Beta": {"cardinality": 2}}"#)
    }

    static func hostArgument(_ m: Manager) -> String { "-host=\(m.host):\(m.port)" }

    @Test func oneShotCommandsDoWhatTheRoutesDo() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            _ = try await m.waitForWorkers("Beta", count: 2)
            let host = Self.hostArgument(m)

            var run = try await runConsole([host, "ls"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Alpha\nBeta\nIdle\n")
            #expect(run.stderr == "")

            // Status: exactly the manager's body (the times do not move: no keep-alives).
            run = try await runConsole([host, "status", "Beta"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == (try await m.get("/tasks/Beta")).body)
            #expect(run.stdout.contains("Task name:\tBeta\n"))
            run = try await runConsole([host, "st"], workspace: ws)
            #expect(run.stdout == (try await m.get("/tasks")).body)

            run = try await runConsole([host, "start", "Alpha"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Started task Alpha\n")
            let alpha = try await m.waitForWorkers("Alpha", count: 1)
            run = try await runConsole([host, "lw", "Alpha"], workspace: ws)
            #expect(run.stdout.hasPrefix("Task: Alpha,\tPid: \(alpha[0]),\tStarted: "))
            #expect(run.stdout.split(separator: "\n").count == 1)

            run = try await runConsole([host, "set", "Alpha", "cardinality", "3"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Changed workers cardinality\n")
            _ = try await m.waitForWorkers("Alpha", count: 3)
            run = try await runConsole([host, "listworkers", "Alpha"], workspace: ws)
            #expect(run.stdout.split(separator: "\n").count == 3)

            run = try await runConsole([host, "stop", "Alpha"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Stopped Alpha workers\n")
            run = try await runConsole([host, "stop"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Stopped Beta workers\n")
            run = try await runConsole([host, "status"], workspace: ws)
            #expect(run.stdout == "no active tasks\n")
        }
    }

    @Test func poolOperationsFromTheConsole() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            let beta = try await m.waitForWorkers("Beta", count: 2)
            let host = Self.hostArgument(m)
            var run = try await runConsole([host, "pause", "Beta"], workspace: ws)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "Paused Beta workers\n")
            #expect(await eventually { beta.allSatisfy { ProcessTable.state($0) == "T" } })
            run = try await runConsole([host, "resume", "Beta"], workspace: ws)
            #expect(run.stdout == "Resumed Beta workers\n")
            #expect(await eventually { beta.allSatisfy { ProcessTable.state($0) != "T" } })
            // WINCH is ignored by the workers: they go on.
            run = try await runConsole([host, "signal", "Beta", "winch"], workspace: ws)
            #expect(run.stdout == "Sent SIGWINCH to 2 Beta worker(s)\n")
            run = try await runConsole([host, "signal", "Beta", "STOP"], workspace: ws)
            #expect(run.status == 1)
            #expect(run.stderr.hasPrefix("error: HTTP 400: ERROR: invalid signal \"STOP\": SIGSTOP is not sent this way"), "\(run.stderr)")
            #expect(Set(try await m.workerPids("Beta")) == Set(beta))
            _ = try await runConsole([host, "stop"], workspace: ws)
            run = try await runConsole([host, "start"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Started task Beta\n")
            _ = try await m.waitForWorkers("Beta", count: 2)
        }
    }

    @Test func everySpellingOfHostAndTheDefault() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            for arguments in [
                ["-host=\(m.host):\(m.port)"], ["-host", "\(m.host):\(m.port)"], ["--host=\(m.host):\(m.port)"],
                ["--host", "http://\(m.host):\(m.port)/"],
            ] {
                let run = try await runConsole(arguments + ["ls"], workspace: ws)
                #expect(run.status == 0, "\(arguments): \(run.stderr)")
                #expect(run.stdout == "Alpha\nBeta\nIdle\n", "\(arguments)")
            }
        }
        // No -host: localhost:8010, where the tests run no manager (or one of
        // someone else's); either way the console says where it went.
        let run = try await runConsole(["ls"], workspace: ws)
        if run.status != 0 {
            #expect(run.stderr.contains("localhost:8010"), "\(run.stderr)")
        }
    }

    @Test func oneShotFailuresExit1WithOneErrorLine() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            let host = Self.hostArgument(m)
            var run = try await runConsole([host, "status", "Nope"], workspace: ws)
            #expect(run.status == 1)
            #expect(run.stdout == "")
            #expect(run.stderr == "error: HTTP 404: ERROR: unknown task Nope\n")

            run = try await runConsole([host, "stop", "Idle"], workspace: ws)
            #expect(run.status == 1)
            #expect(run.stderr == "error: HTTP 409: Task Idle not running\n")

            // Above max_cardinality: the manager refuses, the console shows it.
            run = try await runConsole([host, "set", "Idle", "cardinality", "10001"], workspace: ws)
            #expect(run.status == 1)
            #expect(run.stderr.hasPrefix("error: HTTP 400: ERROR: invalid cardinality \"10001\""), "\(run.stderr)")
        }
        let port = try unusedPort()
        let run = try await runConsole(["-host=127.0.0.1:\(port)", "status", "Task1"], workspace: ws)
        #expect(run.status == 1)
        #expect(run.stdout == "")
        #expect(run.stderr == "error: no manager answers at 127.0.0.1:\(port): connection refused\n")
    }

    @Test func badCommandLinesExit2AndSendNothing() async throws {
        let ws = try Workspace()
        // Nothing listens there: a request sent would exit 1, not 2.
        let host = "-host=127.0.0.1:\(try unusedPort())"
        let cases: [([String], String)] = [
            ([host, "set", "Good"], "set: missing the setting (cardinality) and N (usage: set TASK cardinality N)"),
            ([host, "stauts"], #"unknown command "stauts" (did you mean "status"?)"#),
            ([host, "signal", "Good"], "signal: missing SIG"),
            ([host, "ls", "x"], #"ls: unexpected "x""#),
            ([host, "set", "Good", "cardinality", "many"], #"N must be a whole number, 0 or more, got "many""#),
            ([host, "set", "Good", "cardinality", "-1"], #"got "-1""#),
            (["-host=127.0.0.1:0", "ls"], #"-host: bad address "127.0.0.1:0": port 0 is out of range"#),
            (["-host=", "ls"], "-host: bad address"),
            (["--bogus"], "--bogus"),
        ]
        for (arguments, message) in cases {
            let run = try await runConsole(arguments, workspace: ws)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("no manager answers"), "\(arguments): a request was sent")
            #expect(run.stdout == "", "\(arguments)")
        }
        for flag in ["--help", "-h", "-help"] {
            let help = try await runConsole([flag], workspace: ws)
            #expect(help.status == 0, "\(flag): \(help.stderr)")
            #expect(help.stdout.contains("-host"), "\(flag)")
            #expect(help.stdout.contains("set TASK cardinality N"), "\(flag)")
        }
    }

    @Test func pipedCommandsGiveCleanOutputAndEndOfInputExits0() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            _ = try await m.waitForWorkers("Beta", count: 2)
            let host = Self.hostArgument(m)
            var run = try await runConsole([host], input: "status\n", workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == (try await m.get("/tasks")).body)
            #expect(run.stderr == "")
            #expect(!run.stdout.contains("\u{1B}"), "escape sequences in \(run.stdout.debugDescription)")
            #expect(!run.stdout.contains(">"), "a prompt in \(run.stdout.debugDescription)")

            // Blank lines, extra whitespace, errors: each error one line, the
            // console carries on, and the end of input still exits 0.
            let input = "\n   \n  ls  \nstauts\n\tst   Nope \nset Beta\nlw\nls\n"
            run = try await runConsole([host], input: input, workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Alpha\nBeta\nIdle\nAlpha\nBeta\nIdle\n")
            #expect(
                run.stderr == """
                    error: unknown command "stauts" (did you mean "status"?)
                    error: HTTP 404: ERROR: unknown task Nope
                    error: set: missing the setting (cardinality) and N (usage: set TASK cardinality N)
                    error: lw: missing TASK (usage: lw|listworkers TASK)

                    """)

            // quit ends the session; what follows is not read. No final newline: fine.
            run = try await runConsole([host], input: "ls\nquit\nstop\n", workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Alpha\nBeta\nIdle\n")
            #expect(try await m.status("Beta")["Running"] == "true")
            run = try await runConsole([host], input: "exit", workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "")

            // help is plain text too.
            run = try await runConsole([host], input: "help\n", workspace: ws)
            #expect(run.stdout.contains("  lw|listworkers TASK\n"))
            #expect(!run.stdout.contains("\u{1B}"))
        }
    }

    @Test func aManagerThatGoesAwayMidSessionIsAnErrorLineNotAnEnd() async throws {
        let ws = try Workspace()
        let m = try await Manager.start(ws, config: Self.config(ws))
        let port = m.port
        // Feed the console line by line while the manager stops in between.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: consoleBinary)
        process.arguments = ["-host=127.0.0.1:\(port)"]
        process.environment = consoleEnvironment(ws)
        let input = Pipe()
        let out = OutputBuffer()
        let err = OutputBuffer()
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardInput = input
        process.standardOutput = outPipe
        process.standardError = errPipe
        PipeDrain.start(outPipe.fileHandleForReading) { out.append($0) }
        PipeDrain.start(errPipe.fileHandleForReading) { err.append($0) }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        input.fileHandleForWriting.write(Data("ls\n".utf8))
        #expect(await eventually { out.text == "Alpha\nBeta\nIdle\n" })
        #expect(try await m.terminate() == 0)
        input.fileHandleForWriting.write(Data("ls\n".utf8))
        #expect(await eventually { err.text.contains("\n") })
        #expect(err.text == "error: no manager answers at 127.0.0.1:\(port): connection refused\n")

        // It comes back on the same port: the same console carries on.
        let again = try await Manager.start(
            ws,
            config: ws.config(
                #"{"port": \#(port), \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh"}"#))
        input.fileHandleForWriting.write(Data("ls\n".utf8))
        #expect(await eventually { out.text == "Alpha\nBeta\nIdle\nAlpha\nBeta\nIdle\n" })
        try input.fileHandleForWriting.close()
        #expect(await eventually { !process.isRunning })
        #expect(process.terminationStatus == 0)
        try await again.finish()
    }

    @Test func openChecksThatAManagerAnswers() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            let host = Self.hostArgument(m)
            let down = try unusedPort()
            let input = "open 127.0.0.1:\(down)\nls\nconnect   \(m.host):\(m.port)  \nls\n"
            let run = try await runConsole([host], input: input, workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "Alpha\nBeta\nIdle\nconnected to \(m.host):\(m.port) (3 tasks)\nAlpha\nBeta\nIdle\n")
            #expect(
                run.stderr == """
                    error: no manager answers at 127.0.0.1:\(down): connection refused
                    still connected to \(m.host):\(m.port)

                    """)

            // One-shot open: exit 1 when nothing answers, 0 when it does.
            #expect(try await runConsole(["open", "127.0.0.1:\(down)"], workspace: ws).status == 1)
            let ok = try await runConsole(["open", "\(m.host):\(m.port)"], workspace: ws)
            #expect(ok.status == 0)
            #expect(ok.stdout == "connected to \(m.host):\(m.port) (3 tasks)\n")
        }
    }
}
}
