import Testing

@testable import wpconsole

/// `check [TASK]`: the readiness probe from the console.
@Suite struct CheckCommandTests {
    @Test func parsesAndAsksForReadiness() throws {
        #expect(try CommandParser.parse("check") == .check(task: nil))
        #expect(try CommandParser.parse("CHECK Work") == .check(task: "Work"))
        #expect(try CommandParser.parse("help check") == .help(topic: .check))
        #expect(Command.check(task: nil).request == ManagerRequest(method: .get, path: "/readyz"))
        #expect(Command.check(task: "a b&c").request == ManagerRequest(method: .get, path: "/readyz?task=a%20b%26c"))
        #expect(throws: CommandError(#"check: unexpected "B" (usage: check [TASK])"#)) { try CommandParser.parse("check A B") }
        #expect(throws: CommandError(#"unknown command "chek" (did you mean "check"?)"#)) { try CommandParser.parse("chek") }
    }

    @Test func completionAndHelp() {
        var completer = Completer()
        completer.taskNames = ["Work", "Idle"]
        #expect(completer.candidates(before: "", word: "ch") == ["check"])
        #expect(completer.candidates(before: "check ", word: "W") == ["Work"])
        #expect(Help.lines(nil).contains("  check [TASK]"))
    }

    @Test func aNotReadyAnswerIsShownAsAnAnswerOtherFailuresAsErrors() {
        let host = HostAddress(host: "a", port: 8010)
        #expect(
            ReplyFormatter.readiness(.reply(status: 503, body: "not ready: x\nWork: not ready: y\n"), from: host, prefixed: true)
                == [.out("a:8010: not ready: x"), .out("a:8010: Work: not ready: y")])
        #expect(
            ReplyFormatter.readiness(.reply(status: 404, body: "ERROR: unknown task Nope\n"), from: host, prefixed: false)
                == [.err("error: HTTP 404: ERROR: unknown task Nope")])
        #expect(ReplyFormatter.readiness(.reply(status: 200, body: "ready: z\n"), from: host, prefixed: false) == [.out("ready: z")])
    }
}
