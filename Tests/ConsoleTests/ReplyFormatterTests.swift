import Testing

@testable import wpconsole

/// How replies look: bodies as they are, errors marked, one manager's lines
/// prefixed with its address when there are several.
@Suite struct ReplyFormatterTests {
    let host = HostAddress(host: "a", port: 8010)

    @Test func aSuccessfulBodyGoesToStandardOutputAsItIs() {
        let lines = ReplyFormatter.lines(.reply(status: 200, body: "Alpha\nBeta\n"), from: host, prefixed: false)
        #expect(lines == [.out("Alpha"), .out("Beta")])
    }

    @Test func aBodyWithoutFinalNewlineLosesNothing() {
        #expect(ReplyFormatter.lines(.reply(status: 200, body: "x"), from: host, prefixed: false) == [.out("x")])
    }

    @Test func anEmptyBodyShowsNothing() {
        #expect(ReplyFormatter.lines(.reply(status: 200, body: ""), from: host, prefixed: false).isEmpty)
    }

    @Test func severalManagersPrefixEveryLineBlankOnesWithoutTrailingSpace() {
        let body = "Running:\ttrue\n\nRunning:\tfalse\n"
        #expect(
            ReplyFormatter.lines(.reply(status: 200, body: body), from: host, prefixed: true) == [
                .out("a:8010: Running:\ttrue"), .out("a:8010:"), .out("a:8010: Running:\tfalse"),
            ])
    }

    @Test func errorRepliesGoToStandardErrorMarkedWithTheirCode() {
        #expect(
            ReplyFormatter.lines(.reply(status: 404, body: "ERROR: unknown task Nope\n"), from: host, prefixed: false)
                == [.err("error: HTTP 404: ERROR: unknown task Nope")])
        #expect(
            ReplyFormatter.lines(.reply(status: 409, body: "Task X not running\n"), from: host, prefixed: true)
                == [.err("a:8010: error: HTTP 409: Task X not running")])
        #expect(
            ReplyFormatter.lines(.reply(status: 500, body: ""), from: host, prefixed: false)
                == [.err("error: HTTP 500 (empty reply)")])
        #expect(
            ReplyFormatter.lines(.reply(status: 302, body: "moved\n"), from: host, prefixed: false)
                == [.err("error: HTTP 302: moved")])
    }

    @Test func anUnreachableManagerIsOneErrorLine() {
        #expect(
            ReplyFormatter.lines(.unreachable(reason: "connection refused"), from: host, prefixed: false)
                == [.err("error: no manager answers at a:8010: connection refused")])
        #expect(
            ReplyFormatter.lines(.unreachable(reason: "connection refused"), from: host, prefixed: true)
                == [.err("a:8010: error: no manager answers: connection refused")])
    }

    @Test func successIs2xx() {
        #expect(ManagerOutcome.reply(status: 200, body: "").succeeded)
        #expect(ManagerOutcome.reply(status: 204, body: "").succeeded)
        #expect(!ManagerOutcome.reply(status: 199, body: "").succeeded)
        #expect(!ManagerOutcome.reply(status: 300, body: "").succeeded)
        #expect(!ManagerOutcome.reply(status: 404, body: "").succeeded)
        #expect(!ManagerOutcome.unreachable(reason: "x").succeeded)
    }
}
