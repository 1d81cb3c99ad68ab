import Foundation
import Testing

/// wpconsole in a real terminal (tmux): readline editing, Tab completion,
/// history kept between runs, Ctrl-C, Ctrl-D.
extension IntegrationSuite {
@Suite struct ConsoleTerminalTests {
    static func config(_ ws: Workspace, tasks: [String] = ["Alpha", "Beta", "Idle"]) -> String {
        ws.standardConfig(
            tasks: Dictionary(uniqueKeysWithValues: tasks.map { ($0, Scripts.sleeper) }),
            autotasks: #"{"Beta": {"cardinality": 1}}"#)
    }

    /// Occurrences of `pattern` in `text` (capture-pane turns tabs into spaces).
    static func count(_ pattern: String, in text: String) -> Int {
        (try? NSRegularExpression(pattern: pattern))?.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)) ?? 0
    }

    @Test func tabCompletesCommandsTasksAndCardinality() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            let address = "\(m.host):\(m.port)"
            let prompt = "\(address)>"
            try await withConsoleTerminal(["-host=\(address)"], workspace: ws) { t in
                try await t.waitFor("the greeting") { $0.contains("connected to \(address) (3 tasks)") }
                try await t.waitForCursorLine(prompt)

                // A command name: the unique completion, and a space after it.
                try t.type("listw")
                try t.press("Tab")
                try await t.waitForCursorLine("\(prompt) listworkers")
                // A task name, fetched from the manager.
                try t.type("Be")
                try t.press("Tab")
                try await t.waitForCursorLine("\(prompt) listworkers Beta")
                try t.press("Enter")
                try await t.waitFor("Beta's worker") { $0.contains("Task: Beta,") }
                try await t.waitForCursorLine(prompt)

                // `cardinality` after `set TASK`.
                try t.type("set Al")
                try t.press("Tab")
                try await t.waitForCursorLine("\(prompt) set Alpha")
                try t.type("c")
                try t.press("Tab")
                try await t.waitForCursorLine("\(prompt) set Alpha cardinality")
                try t.type("2")
                try t.press("Enter")
                try await t.waitFor("the reply to set") { $0.contains("Changed workers cardinality") }
                #expect(try await m.json(.get, "/tasks/Alpha").json["cardinality"] as? Int == 2)

                // Several candidates: a second Tab lists them.
                try await t.waitForCursorLine(prompt)
                try t.type("st")
                try t.press("Tab")
                try t.press("Tab")
                try await t.waitFor("the list of st... commands") { screen in
                    screen.split(separator: "\n").contains { line in
                        let words = line.split(separator: " ")
                        return words.contains("start") && words.contains("status") && words.contains("stop")
                            && !line.contains(">")
                    }
                }
                try t.press("C-u")
                try t.type("start Nope")
                try t.press("Enter")
                try await t.waitFor("the error") { $0.contains("error: HTTP 404: ERROR: unknown task Nope") }
                try t.type("strat")
                try t.press("Enter")
                try await t.waitFor("the suggestion") { $0.contains(#"error: unknown command "strat" (did you mean "start"?)"#) }
                try await t.waitForCursorLine(prompt)

                // Ctrl-D at an empty prompt: exit 0.
                try t.press("C-d")
                #expect(try await t.exitStatus() == 0)
            }
        }
    }

    @Test func openRefreshesTheTaskNamesTabOffers() async throws {
        let ws = try Workspace()
        let ws2 = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            try await withManager(ws2, config: ws2.standardConfig(tasks: ["Gamma": Scripts.sleeper, "Gecko": Scripts.sleeper])) { m2 in
                let first = "\(m.host):\(m.port)"
                let second = "\(m2.host):\(m2.port)"
                try await withConsoleTerminal(["-host=\(first)"], workspace: ws) { t in
                    try await t.waitForCursorLine("\(first)>")
                    try t.type("start G")
                    try t.press("Tab")
                    // Nothing starts with G on the first manager: Tab adds nothing.
                    try t.type("x")
                    try await t.waitForCursorLine("\(first)> start Gx")
                    try t.press("C-u")
                    try t.type("open \(second)")
                    try t.press("Enter")
                    try await t.waitFor("open's reply") { $0.contains("connected to \(second) (2 tasks)") }
                    try await t.waitForCursorLine("\(second)>")
                    try t.type("start Ga")
                    try t.press("Tab")
                    try await t.waitForCursorLine("\(second)> start Gamma")
                    try t.press("Enter")
                    try await t.waitFor("the start") { $0.contains("Started task Gamma") }
                    try t.type("quit")
                    try t.press("Enter")
                    #expect(try await t.exitStatus() == 0)
                }
                _ = try await m2.waitForWorkers("Gamma", count: 1)
            }
        }
    }

    @Test func historyIsKeptBetweenRunsAndCapped() async throws {
        let ws = try Workspace()
        let historyFile = ws.path + "/history"
        try await withManager(ws, config: Self.config(ws)) { m in
            let address = "\(m.host):\(m.port)"
            let prompt = "\(address)>"
            let environment = ["WPCONSOLE_HISTORY_SIZE": "3"]
            try await withConsoleTerminal(["-host=\(address)"], workspace: ws, environment: environment) { t in
                for line in ["ls", "status Beta", "lw Beta", "help set"] {
                    try await t.waitForCursorLine(prompt)
                    try t.type(line)
                    try t.press("Enter")
                }
                try await t.waitFor("help's reply") { $0.contains("change the number of workers of TASK") }
                try await t.waitForCursorLine(prompt)
                // Up recalls the lines, newest first; the same line twice is kept once.
                try t.type("help set")
                try t.press("Enter")
                try await t.waitForCursorLine(prompt)
                try t.press("Up")
                try await t.waitForCursorLine("\(prompt) help set")
                try t.press("Up")
                try await t.waitForCursorLine("\(prompt) lw Beta")
                try t.press("Down")
                try await t.waitForCursorLine("\(prompt) help set")
                // Ctrl-C drops the line being typed and gives a fresh prompt.
                try t.press("C-c")
                try await t.waitFor("^C") { $0.contains("\(prompt) help set^C") }
                try await t.waitForCursorLine(prompt)
                try t.press("C-d")
                #expect(try await t.exitStatus() == 0)

                // The file keeps the newest 3 lines.
                let saved = try String(contentsOfFile: historyFile, encoding: .utf8)
                #expect(saved == "status Beta\nlw Beta\nhelp set\n")
                let mode = (try FileManager.default.attributesOfItem(atPath: historyFile)[.posixPermissions] as? Int) ?? 0
                #expect(mode == 0o600)

                // A new console: Up recalls the last session's lines.
                try t.respawn(["-host=\(address)"])
                try await t.waitForCursorLine(prompt)
                let shown = Self.count("Task name: +Beta", in: try t.screen())
                try t.press("Up")
                try await t.waitForCursorLine("\(prompt) help set")
                try t.press("Up")
                try t.press("Up")
                try await t.waitForCursorLine("\(prompt) status Beta")
                try t.press("Up")  // nothing older: stays
                try t.press("Enter")
                try await t.waitFor("status Beta again") { Self.count("Task name: +Beta", in: $0) == shown + 1 }
                try t.type("quit")
                try t.press("Enter")
                #expect(try await t.exitStatus() == 0)
            }
            let saved = try String(contentsOfFile: historyFile, encoding: .utf8)
            #expect(saved == "help set\nstatus Beta\nquit\n")
        }
    }

    @Test func ctrlCCancelsACommandThatHangsAndADeadManagerIsAnErrorLine() async throws {
        let ws = try Workspace()
        let silent = try SilentListener()
        defer { silent.close() }
        let m = try await Manager.start(ws, config: Self.config(ws))
        let address = "\(m.host):\(m.port)"
        let prompt = "\(address)>"
        do {
            try await withConsoleTerminal(["-host=\(address)"], workspace: ws) { t in
                try await t.waitForCursorLine(prompt)
                // Something listens there but never answers: Ctrl-C gets the prompt back.
                try t.type("open 127.0.0.1:\(silent.port)")
                try t.press("Enter")
                try await t.waitForCursorLine("")
                try t.press("C-c")
                try await t.waitFor("interrupted") { $0.contains("interrupted") }
                try await t.waitForCursorLine(prompt)

                // The manager goes away: an error line, and the console carries on.
                #expect(try await m.terminate() == 0)
                try t.type("ls")
                try t.press("Enter")
                try await t.waitFor("the error") {
                    $0.contains("error: no manager answers at \(address): connection refused")
                }
                try await t.waitForCursorLine(prompt)
                try t.type("quit")
                try t.press("Enter")
                #expect(try await t.exitStatus() == 0)
            }
        } catch {
            try? await m.finish()
            throw error
        }
        try await m.finish()
    }

    @Test func aManagerDownAtStartIsSaidAndTheConsoleCarriesOn() async throws {
        let ws = try Workspace()
        let address = "127.0.0.1:\(try unusedPort())"
        try await withConsoleTerminal(["-host=\(address)"], workspace: ws) { t in
            try await t.waitFor("the error") { $0.contains("error: no manager answers at \(address): connection refused") }
            try await t.waitForCursorLine("\(address)>")
            try t.type("help")
            try t.press("Enter")
            try await t.waitFor("help") { $0.contains("set TASK cardinality N") }
            try t.press("C-d")
            #expect(try await t.exitStatus() == 0)
        }
    }
}
}
