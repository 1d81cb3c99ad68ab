import Testing

@testable import wpconsole

/// Each command goes to the route the Go console used (SPEC §4).
@Suite struct ManagerRequestTests {
    static func request(_ line: String) throws -> String? {
        try CommandParser.parse(line)?.request?.description
    }

    @Test(arguments: [
        ("ls", "GET /list"),
        ("status", "GET /tasks"),
        ("st Task1", "GET /tasks/Task1"),
        ("start Task1", "GET /tasks/Task1/start"),
        ("start", "POST /tasks/start"),
        ("signal Task1 USR1", "POST /tasks/Task1/signal/USR1"),
        ("signal T%1 SIG/X", "POST /tasks/T%251/signal/SIG%2FX"),
        ("pause Task1", "POST /tasks/Task1/pause"),
        ("resume Task1", "POST /tasks/Task1/resume"),
        ("stop", "DELETE /tasks"),
        ("stop Task1", "DELETE /tasks/Task1"),
        ("set Task1 cardinality 4", "GET /tasks/Task1/set/cardinality/4"),
        ("set Task1 cardinality 0", "GET /tasks/Task1/set/cardinality/0"),
        ("lw Task1", "GET /tasks/Task1/list"),
        ("open h:1", "GET /list"),
        ("restart", "POST /tasks/restart"),
        ("restart Task1", "POST /tasks/Task1/restart"),
        ("restart a/b", "POST /tasks/a%2Fb/restart"),
        ("reload", "POST /reload"),
    ])
    func routes(line: String, expected: String) throws {
        #expect(try Self.request(line) == expected)
    }

    @Test(arguments: ["help", "h status", "quit", "exit"])
    func theConsoleAnswersSomeCommandsItself(line: String) throws {
        #expect(try Self.request(line) == nil)
    }

    @Test func taskNamesAreOnePathSegment() throws {
        #expect(try Self.request("st a/b") == "GET /tasks/a%2Fb")
        #expect(try Self.request("start a?b#c") == "GET /tasks/a%3Fb%23c/start")
        #expect(try Self.request("lw é%") == "GET /tasks/%C3%A9%25/list")
        #expect(try Self.request("stop ..") == "DELETE /tasks/%2E%2E")
        #expect(try Self.request("stop .") == "DELETE /tasks/%2E")
        #expect(try Self.request("st a.b-c_d~e") == "GET /tasks/a.b-c_d~e")
    }
}
