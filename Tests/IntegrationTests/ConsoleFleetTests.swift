import Foundation
import Testing

/// One console, several managers: each command goes to all of them, each
/// reply line starts with its manager's address.
extension IntegrationSuite {
@Suite struct ConsoleFleetTests {
    static func config(_ ws: Workspace) -> String { ConsoleScriptingTests.config(ws) }

    @Test func severalManagersAnswerEachCommandPrefixedWithTheirAddress() async throws {
        let ws = try Workspace()
        let one = try await Manager.start(ws, config: Self.config(ws))
        let ws2 = try Workspace()
        let two = try await Manager.start(ws2, config: ws2.standardConfig(tasks: ["Gamma": Scripts.sleeper]))
        do {
            _ = try await one.waitForWorkers("Beta", count: 2)
            let a = "\(one.host):\(one.port)"
            let b = "\(two.host):\(two.port)"

            var run = try await runConsole(["-host=\(a),\(b)", "ls"], workspace: ws)
            #expect(run.status == 0)
            #expect(run.stdout == "\(a): Alpha\n\(a): Beta\n\(a): Idle\n\(b): Gamma\n")

            // Order follows the addresses, not who answered first.
            run = try await runConsole(["-host=\(b),\(a)", "status", "Beta"], workspace: ws)
            #expect(run.status == 1)  // Beta is unknown to the second manager
            let aStatus = try await one.get("/tasks/Beta").body
            #expect(run.stdout == fleetPrefixed(aStatus, a))
            #expect(run.stderr == "\(b): error: HTTP 404: ERROR: unknown task Beta\n")

            // Piped: open a fleet, then every command goes to all of it.
            run = try await runConsole(["-host=\(a)"], input: "open \(a), \(b)\nstart Gamma\nlw Nope\n", workspace: ws)
            #expect(run.status == 0)
            #expect(
                run.stdout == """
                    connected to \(a) (3 tasks), \(b) (1 task)
                    \(b): Started task Gamma

                    """)
            #expect(
                run.stderr == """
                    \(a): error: HTTP 404: ERROR: unknown task Gamma
                    \(a): error: HTTP 404: ERROR: unknown task Nope
                    \(b): error: HTTP 404: ERROR: unknown task Nope

                    """)
            _ = try await two.waitForWorkers("Gamma", count: 1)

            // A manager that is down: the others still answer; exit 1.
            let down = "127.0.0.1:\(try unusedPort())"
            run = try await runConsole(["-host=\(a),\(down)", "ls"], workspace: ws)
            #expect(run.status == 1)
            #expect(run.stdout == "\(a): Alpha\n\(a): Beta\n\(a): Idle\n")
            #expect(run.stderr == "\(down): error: no manager answers: connection refused\n")
        } catch {
            try? await one.finish()
            try? await two.finish()
            throw error
        }
        try await one.finish()
        try await two.finish()
    }
}
}

/// `body` with every line prefixed `host: `, as the console shows it for a fleet.
func fleetPrefixed(_ body: String, _ host: String) -> String {
    body.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        .map { $0.isEmpty ? "\(host):" : "\(host): \($0)" }.joined(separator: "\n") + "\n"
}
