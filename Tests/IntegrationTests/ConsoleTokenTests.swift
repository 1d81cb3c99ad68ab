import Foundation
import Testing

/// wpconsole against a manager that requires a token: -token, $WPM_TOKEN.
extension IntegrationSuite {
@Suite struct ConsoleTokenTests {
    @Test func theConsoleSendsTheToken() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: AccessTokenTests.config(ws)) { m in
            let host = "-host=\(m.host):\(m.port)"
            var run = try await runConsole([host, "ls"], workspace: ws)
            #expect(run.status == 1)
            #expect(run.stdout == "")
            #expect(run.stderr.hasPrefix("error: HTTP 401: ERROR: this manager needs a token"), "\(run.stderr)")
            for arguments in [["-token=\(AccessTokenTests.token)"], ["--token", AccessTokenTests.token], ["-token", AccessTokenTests.token]] {
                run = try await runConsole([host] + arguments + ["ls"], workspace: ws)
                #expect(run.status == 0, "\(arguments): \(run.stderr)")
                #expect(run.stdout == "Work\n")
            }
            run = try await runConsole([host, "ls"], workspace: ws, environment: [AccessTokenTests.variable: AccessTokenTests.token])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "Work\n")
            // -token wins over the environment.
            run = try await runConsole(
                [host, "-token=wrong", "ls"], workspace: ws, environment: [AccessTokenTests.variable: AccessTokenTests.token])
            #expect(run.status == 1)
            #expect(run.stderr.contains("HTTP 401: ERROR: wrong token"), "\(run.stderr)")
            // Piped commands carry it too.
            run = try await runConsole([host, "-token=\(AccessTokenTests.token)"], input: "ls\nstatus Work\n", workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout.hasPrefix("Work\n"))
            #expect(run.stdout.contains("Task name:\tWork"))
            #expect(!run.stdout.contains("401"))
            for bad in [["-token="], ["-token", "a b"]] {
                run = try await runConsole([host] + bad + ["ls"], workspace: ws)
                #expect(run.status == 2, "\(bad)")
                #expect(run.stderr.contains("-token: must be printable ASCII without spaces, and not empty"), "\(run.stderr)")
            }
            run = try await runConsole([host, "ls"], workspace: ws, environment: [AccessTokenTests.variable: ""])
            #expect(run.status == 2)
            #expect(run.stderr.contains("WPM_TOKEN: must be"), "\(run.stderr)")
        }
    }

    @Test func watchSendsTheTokenToo() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: AccessTokenTests.config(ws)) { m in
            let host = "-host=\(m.host):\(m.port)"
            let refused = try await runConsole([host, "watch", "Work"], workspace: ws)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("HTTP 401: ERROR: this manager needs a token"), "\(refused.stderr)")

            m.token = AccessTokenTests.token
            try await withConsoleTerminal([host, "-token=\(AccessTokenTests.token)", "watch", "Work"], workspace: ws) { t in
                try await t.waitFor("the watch notice") { $0.contains("watching events of Work") }
                _ = try await m.get("/tasks/Work/set/cardinality/2")
                try await t.waitFor("an event") { $0.contains("Work: cardinality") }
                #expect(!(try t.screen().contains("401")))
                try t.press("C-c")
                #expect(try await t.exitStatus() == 0)
            }
        }
    }
}
}
