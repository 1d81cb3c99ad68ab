import Foundation
import Testing

/// `wpconsole tail` and `wpconsole top` against real managers, in a real
/// terminal (tmux) and in one-shot and piped modes.
extension IntegrationSuite {
@Suite struct ConsoleTailTopTests {
    static func talker(_ word: String) -> String {
        "#!/bin/sh\necho \"\(word) hello from $$\"\ni=0\nwhile :; do i=$((i+1)); echo \"\(word) line $i\"; sleep 0.3; done\n"
    }

    @Test func tailFollowsSeveralTasksOfSeveralManagersUntilCtrlC() async throws {
        let a = try Workspace()
        let b = try Workspace()
        let configA = a.standardConfig(tasks: ["Talk": Self.talker("alpha"), "Chat": Self.talker("chat")], autotasks: #"{"Talk": {}, "Chat": {}}"#)
        let configB = b.standardConfig(tasks: ["Talk": Self.talker("beta"), "Chat": Self.talker("chat")], autotasks: #"{"Talk": {}}"#)
        try await withManager(a, config: configA) { ma in
            try await withManager(b, config: configB) { mb in
                let pa = try await ma.waitForWorkers("Talk", count: 1)[0]
                let pc = try await ma.waitForWorkers("Chat", count: 1)[0]
                let pb = try await mb.waitForWorkers("Talk", count: 1)[0]
                let (hostA, hostB) = ("\(ma.host):\(ma.port)", "\(mb.host):\(mb.port)")
                try await withConsoleTerminal(["-host=\(hostA),\(hostB)", "tail", "-f", "-n", "1", "Talk", "Chat"], workspace: a) { t in
                    try await t.waitFor("lines of both managers and both tasks, prefixed") { screen in
                        screen.range(of: #"\#(hostA): \[Talk \#(pa)\] alpha line \d+"#, options: .regularExpression) != nil
                            && screen.range(of: #"\#(hostB): \[Talk \#(pb)\] beta line \d+"#, options: .regularExpression) != nil
                            && screen.range(of: #"\#(hostA): \[Chat \#(pc)\] chat line \d+"#, options: .regularExpression) != nil
                    }
                    // B's Chat is not running: followed all the same (nothing comes).
                    try await t.waitFor("B's Chat followed") { $0.contains("\(hostB): following Chat (Ctrl-C to stop)") }
                    // New lines keep coming, interleaved as they arrive.
                    let before = try t.screen().components(separatedBy: "alpha line").count
                    try await t.waitFor("more lines") { $0.components(separatedBy: "alpha line").count > before + 2 }
                    try t.press("C-c")
                    #expect(try await t.exitStatus() == 0)
                    try await t.waitFor("the end") { $0.contains("stopped following") }
                }

                // One-shot, standard output a pipe: the last lines, sorted by time.
                var run = try await runConsole(["-host=\(hostA)", "tail", "-n", "3", "Talk"], workspace: a)
                #expect(run.status == 0, "\(run.stderr)")
                let lines = run.stdout.split(separator: "\n")
                #expect(lines.count == 3 && lines.allSatisfy { $0.hasPrefix("[Talk \(pa)] alpha ") }, "\(run.stdout)")
                // Piped commands.
                run = try await runConsole(["-host=\(hostB)"], input: "tail -n 1 Talk\nstatus Talk\n", workspace: a)
                #expect(run.status == 0)
                #expect(run.stdout.contains("[Talk \(pb)] beta line") && run.stdout.contains("Active Workers:"), "\(run.stdout)")
                // Tried wrong.
                for (arguments, message) in [
                    (["tail"], "tail: missing TASK (usage: tail [-f] [-n N] TASK...)"),
                    (["tail", "-n"], "tail: missing N after -n"),
                    (["tail", "-n", "x", "Talk"], #"tail: N must be a whole number from 0 to 1000, got "x""#),
                    (["tail", "-n", "1001", "Talk"], #"tail: N must be a whole number from 0 to 1000, got "1001""#),
                    (["tail", "-x", "Talk"], #"tail: unknown option "-x" (usage: tail [-f] [-n N] TASK...)"#),
                ] {
                    let usage = try await runConsole(["-host=\(hostA)"] + arguments, workspace: a)
                    #expect(usage.status == 2, "\(arguments)")
                    #expect(usage.stderr.contains(message), "\(arguments): \(usage.stderr)")
                }
                run = try await runConsole(["-host=\(hostA)", "tail", "Nope"], workspace: a)
                #expect(run.status == 1)
                #expect(run.stderr.contains("error: HTTP 404: ERROR: unknown task Nope"), "\(run.stderr)")
                run = try await runConsole(["-host=\(hostA)", "tail", "-f", "Nope"], workspace: a)
                #expect(run.status == 1)
                #expect(run.stderr.contains("ERROR: unknown task Nope"), "\(run.stderr)")
            }
        }
    }

    @Test func topShowsEveryWorkerSortsOnAKeyAndRestoresTheTerminal() async throws {
        let ws = try Workspace()
        let burner = "#!/bin/sh\nwhile :; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 0.2; done\n"
        let config = ws.standardConfig(
            tasks: ["Burn": burner, "Rest": Scripts.forker], autotasks: #"{"Burn": {}, "Rest": {"cardinality": 2}}"#)
        try await withManager(ws, config: config) { m in
            let burn = try await m.waitForWorkers("Burn", count: 1)[0]
            let rest = try await m.waitForWorkers("Rest", count: 2)
            let address = "\(m.host):\(m.port)"
            try await withConsoleTerminal(["-host=\(address)", "top"], workspace: ws) { t in
                try await t.waitFor("the full screen with every worker and a CPU %") { screen in
                    screen.contains("wpconsole top") && screen.contains("sorted by CPU")
                        && screen.contains("Burn: 1/1 workers") && screen.contains("Rest: 2/2 workers")
                        && rest.allSatisfy { screen.contains("    \($0) ") }
                        && screen.range(of: #"    \#(burn) +\S+ +\d+\.\d +[0-9.]+ [KM]iB"#, options: .regularExpression) != nil
                }
                #expect(try t.tmux(["display-message", "-p", "-t", "console", "#{alternate_on}"]).hasPrefix("1"))
                try t.type("m")
                try await t.waitFor("sorted by memory") { $0.contains("sorted by memory") }
                try t.type("p")
                try await t.waitFor("sorted by pid") { screen in
                    guard screen.contains("sorted by pid"), let first = screen.range(of: "    \(rest.min()!) "),
                        let second = screen.range(of: "    \(rest.max()!) ")
                    else { return false }
                    return first.lowerBound < second.lowerBound
                }
                // A worker replaced is shown within the next refreshes.
                kill(burn, SIGKILL)
                let next = try await m.waitForWorkers("Burn", count: 1)[0]
                try await t.waitFor("the replacement") { $0.contains("    \(next) ") && !$0.contains("    \(burn) ") }
                try t.type("q")
                #expect(try await t.exitStatus() == 0)
                #expect(try t.tmux(["display-message", "-p", "-t", "console", "#{alternate_on}"]).hasPrefix("0"))

                // Ctrl-C ends it too, and restores the terminal.
                try t.respawn(["-host=\(address)", "top"])
                try await t.waitFor("top again") { $0.contains("Rest: 2/2 workers") }
                try t.press("C-c")
                #expect(try await t.exitStatus() == 0)
                #expect(try t.tmux(["display-message", "-p", "-t", "console", "#{alternate_on}"]).hasPrefix("0"))

                // Inside the interactive console: q, then the prompt takes typing again.
                try t.respawn(["-host=\(address)"])
                try await t.waitForCursorLine("\(address)>")
                try t.type("top")
                try t.press("Enter")
                try await t.waitFor("top in the console") { $0.contains("sorted by CPU") && $0.contains("Rest: 2/2") }
                try t.type("q")
                try await t.waitForCursorLine("\(address)>")
                try t.type("status Rest")
                try t.press("Enter")
                try await t.waitFor("status after top") { $0.contains("Active Workers: 2 / 2") }
                try t.press("C-d")
                #expect(try await t.exitStatus() == 0)
            }
            // Not a terminal: one snapshot, plain lines.
            let run = try await runConsole(["-host=\(address)", "top"], workspace: ws)
            #expect(run.status == 0)
            #expect(!run.stdout.contains("\u{1B}["))
            #expect(run.stdout.contains("Rest: 2/2 workers") && rest.allSatisfy { run.stdout.contains("    \($0) ") }, "\(run.stdout)")
            let usage = try await runConsole(["-host=\(address)", "top", "now"], workspace: ws)
            #expect(usage.status == 2)
            #expect(usage.stderr.contains(#"top: unexpected "now" (usage: top)"#))
        }
    }
}
}
