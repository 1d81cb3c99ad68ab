import ArgumentParser
import Testing

@testable import wpconsole

/// The command line: the Go spelling `-host=...`, `--host`, one-shot commands.
@Suite struct ArgumentsTests {
    static func parse(_ arguments: [String]) throws -> WPConsole {
        try WPConsole.parse(arguments)
    }

    static func error(_ arguments: [String]) -> String {
        do {
            _ = try WPConsole.parse(arguments)
            return "accepted"
        } catch {
            return WPConsole.message(for: error)
        }
    }

    @Test(arguments: [
        ["-host=a:1"], ["-host", "a:1"], ["--host=a:1"], ["--host", "a:1"],
    ])
    func everySpellingOfHost(arguments: [String]) throws {
        let console = try Self.parse(arguments)
        #expect(console.host == "a:1")
        #expect(console.command.isEmpty)
    }

    @Test func theDefaultHostIsLocalhost8010() throws {
        #expect(try Self.parse([]).host == "localhost:8010")
    }

    @Test func severalHosts() throws {
        #expect(try HostAddress.parseList(Self.parse(["-host=a,b:9"]).host) == [
            HostAddress(host: "a", port: 8010), HostAddress(host: "b", port: 9),
        ])
    }

    @Test func oneShotCommandsAreTheWordsAfterTheOptions() throws {
        #expect(try Self.parse(["-host=a:1", "status", "Task1"]).command == ["status", "Task1"])
        #expect(try Self.parse(["set", "T", "cardinality", "2"]).command == ["set", "T", "cardinality", "2"])
        #expect(try Self.parse(["-host=a:1", "st"]).command == ["st"])
    }

    @Test func aBadHostIsAUsageError() {
        #expect(Self.error(["-host=a:0"]).contains(#"-host: bad address "a:0": port 0 is out of range (1 to 65535)"#))
        #expect(Self.error(["--host", "https://a"]).contains("only http:// is supported"))
        #expect(Self.error(["-host="]).contains("-host: bad address"))
    }

    @Test func aBadOneShotCommandIsAUsageError() {
        #expect(Self.error(["stauts"]).contains(#"unknown command "stauts" (did you mean "status"?)"#))
        #expect(Self.error(["set", "Good"]).contains("set: missing the setting (cardinality) and N"))
        #expect(Self.error(["set", "Good", "cardinality", "-1"]).contains(#"N must be a whole number, 0 or more, got "-1""#))
        #expect(Self.error(["ls", "extra"]).contains(#"ls: unexpected "extra""#))
    }

    @Test func unknownOptionsAreUsageErrors() {
        #expect(Self.error(["--bogus"]).contains("--bogus"))
        #expect(Self.error(["-x"]).contains("-x"))
        #expect(Self.error(["-host"]).contains("host"))  // no value
    }

    @Test(arguments: ["-h", "--help", "-help"])
    func helpIsAskedForNotAnUnknownOption(flag: String) {
        for arguments in [[flag], ["-host=a:1", flag], ["-host", "a:1", flag]] {
            do {
                _ = try WPConsole.parseAsRoot(WPConsole.goSpellings(arguments))
                Issue.record("\(arguments): no help")
            } catch {
                // What main does with it: the help text, exit status 0.
                #expect(WPConsole.exitStatus(for: error) == 0, "\(arguments): \(error)")
                #expect(WPConsole.fullMessage(for: error).contains("USAGE: wpconsole"), "\(arguments)")
            }
        }
    }

    @Test func goSpellingsTouchOnlyTheOptions() {
        #expect(WPConsole.goSpellings(["-help"]) == ["--help"])
        #expect(WPConsole.goSpellings(["-host", "a", "-help"]) == ["-host", "a", "--help"])
        #expect(WPConsole.goSpellings(["status", "-help"]) == ["status", "-help"])
        #expect(WPConsole.goSpellings(["-host=a", "set", "T", "cardinality", "-1"]) == ["-host=a", "set", "T", "cardinality", "-1"])
    }

    @Test func usageErrorsExitWithStatus2() {
        // wpconsole's main maps every usage error to 2 (see WPConsole.main).
        #expect(WPConsole.exitStatus(for: ValidationError("x")) == 2)
        #expect(WPConsole.exitStatus(for: ExitCode(1)) == 1)
    }
}
