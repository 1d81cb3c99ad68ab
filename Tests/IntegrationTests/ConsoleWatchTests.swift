import Foundation
import Testing

/// `wpconsole watch [TASK]` in a real terminal: events as lines until
/// Ctrl-C, then the prompt (interactive) or exit status 0 (one-shot).
extension IntegrationSuite {
@Suite struct ConsoleWatchTests {
    static func config(_ ws: Workspace) -> String {
        ws.standardConfig(
            tasks: ["Work": Scripts.sleeper, "Other": Scripts.sleeper], autotasks: #"{"Other": {}}"#)
    }

    @Test func watchFollowsEventsUntilCtrlCThenThePromptComesBack() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            let address = "\(m.host):\(m.port)"
            let prompt = "\(address)>"
            try await withConsoleTerminal(["-host=\(address)"], workspace: ws) { t in
                try await t.waitForCursorLine(prompt)
                // Tab completes the command and a task name.
                try t.type("wat")
                try t.press("Tab")
                try t.type("Wo")
                try t.press("Tab")
                try await t.waitForCursorLine("\(prompt) watch Work")
                try t.press("Enter")
                try await t.waitFor("the watch notice") { $0.contains("watching events of Work (Ctrl-C to stop)") }
                _ = try await m.get("/tasks/Work/start")
                let pid = try await m.waitForWorkers("Work", count: 1)[0]
                _ = try await m.get("/tasks/Other/set/cardinality/2")  // another task: not shown
                _ = try await m.get("/tasks/Work/set/cardinality/2")
                try await t.waitFor("the events as lines") { screen in
                    screen.range(of: #"\d\d:\d\d:\d\d\.\d{3}Z Work: task started \(cardinality 1\)"#, options: .regularExpression) != nil
                        && screen.contains("Work: worker \(pid) spawned")
                        && screen.contains("Work: cardinality 1 -> 2")
                }
                #expect(!(try t.screen().contains("Other:")))
                // Ctrl-C ends the watch, not the console.
                try t.press("C-c")
                try await t.waitFor("the end of the watch") { $0.contains("stopped watching") }
                try await t.waitForCursorLine(prompt)
                try t.type("status Work")
                try t.press("Enter")
                try await t.waitFor("status after the watch") { $0.contains("Active Workers: 2 / 2") }
                try t.type("watch Nope")
                try t.press("Enter")
                try await t.waitFor("the unknown task") { $0.contains("error: HTTP 404: ERROR: unknown task Nope") }
                try await t.waitForCursorLine(prompt)
                try t.press("C-d")
                #expect(try await t.exitStatus() == 0)
            }
        }
    }

    @Test func oneShotWatchRunsUntilSIGINTAndExitsZero() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            let address = "\(m.host):\(m.port)"
            try await withConsoleTerminal(["-host=\(address)", "watch"], workspace: ws) { t in
                try await t.waitFor("the watch notice") { $0.contains("watching events of every task") }
                _ = try await m.request(.delete, "/tasks/Other")
                try await t.waitFor("the stop") { $0.contains("Other: task stopped") && $0.contains("Other: worker") }
                try t.press("C-c")
                #expect(try await t.exitStatus() == 0)
                try await t.waitFor("the end of the watch") { $0.contains("stopped watching") }

                // An unknown task: the error, exit status 1.
                try t.respawn(["-host=\(address)", "watch", "Nope"])
                #expect(try await t.exitStatus() == 1)
                try await t.waitFor("the error") { $0.contains("error: HTTP 404: ERROR: unknown task Nope") }

                // The manager shutting down ends the stream: said, exit status 1.
                try t.respawn(["-host=\(address)", "watch", "Work"])
                try await t.waitFor("the second watch") { $0.contains("watching events of Work") }
                #expect(try await m.terminate() == 0)
                #expect(try await t.exitStatus() == 1)
                try await t.waitFor("the end of the stream") { $0.contains("error: the manager ended the event stream") }
            }
        }
    }

    @Test func oneShotWatchOfAManagerThatIsDownFailsAtOnce() async throws {
        let ws = try Workspace()
        let address = "127.0.0.1:\(try unusedPort())"
        let run = try await runConsole(["-host=\(address)", "watch", "Work"], workspace: ws)
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("error: no manager answers at \(address): connection refused"))
        let usage = try await runConsole(["-host=\(address)", "watch", "A", "B"], workspace: ws)
        #expect(usage.status == 2)
        #expect(usage.stderr.contains(#"watch: unexpected "B" (usage: watch [TASK])"#))
    }
}
}
