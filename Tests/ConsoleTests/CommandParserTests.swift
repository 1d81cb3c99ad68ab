import Testing

@testable import wpconsole

/// Every console line the parser takes, and every kind it refuses (SPEC §5).
@Suite struct CommandParserTests {
    static func parse(_ line: String) throws(CommandError) -> Command? { try CommandParser.parse(line) }

    /// The error message for a refused line (or a note that it was taken).
    static func error(_ line: String) -> String {
        do {
            let command = try CommandParser.parse(line)
            return "accepted as \(String(describing: command))"
        } catch {
            return error.description
        }
    }

    static let localhost = HostAddress(host: "localhost", port: 8010)

    @Test(arguments: [
        ("ls", Command.list), ("list", .list),
        ("st", .status(task: nil)), ("status", .status(task: nil)), ("status Task1", .status(task: "Task1")),
        ("st Task1", .status(task: "Task1")),
        ("start Task1", .start(task: "Task1")),
        ("stop", .stop(task: nil)), ("stop Task1", .stop(task: "Task1")),
        ("set Task1 cardinality 3", .set(task: "Task1", setting: .cardinality, value: 3)),
        ("set Task1 cardinality 0", .set(task: "Task1", setting: .cardinality, value: 0)),
        ("set Task1 cardinality 007", .set(task: "Task1", setting: .cardinality, value: 7)),
        ("lw Task1", .listWorkers(task: "Task1")), ("listworkers Task1", .listWorkers(task: "Task1")),
        ("help", .help(topic: nil)), ("h", .help(topic: nil)), ("help set", .help(topic: .set)),
        ("h lw", .help(topic: .listWorkers)),
        ("watch", .watch(task: nil)), ("watch Task1", .watch(task: "Task1")), ("WATCH Task1", .watch(task: "Task1")),
        ("help watch", .help(topic: .watch)),
        ("restart", .restart(task: nil)), ("restart Task1", .restart(task: "Task1")), ("RESTART Task1", .restart(task: "Task1")),
        ("reload", .reload), ("Reload", .reload), ("help reload", .help(topic: .reload)),
        ("quit", .quit), ("exit", .quit),
        ("open localhost:8010", .open([localhost])), ("connect localhost", .open([localhost])),
    ])
    func everyCommandAndAlias(line: String, expected: Command) throws {
        #expect(try Self.parse(line) == expected)
    }

    @Test(arguments: [
        "  status   Task1  ", "\tstatus\tTask1", "status \t Task1\t", " \t st \t Task1 \t ",
        "STATUS Task1", "Status Task1",
    ])
    func whitespaceAnywhereAndCommandCase(line: String) throws {
        #expect(try Self.parse(line) == .status(task: "Task1"))
    }

    @Test func setToleratesWhitespaceAndTheSettingsCase() throws {
        #expect(try Self.parse("  set   Good\t Cardinality   12 ") == .set(task: "Good", setting: .cardinality, value: 12))
    }

    @Test func taskNamesKeepTheirCase() throws {
        #expect(try Self.parse("start task1") == .start(task: "task1"))
        #expect(try Self.parse("start TASK1") == .start(task: "TASK1"))
    }

    @Test(arguments: ["", " ", "\t \t", "   "])
    func blankLinesAreNothing(line: String) throws {
        #expect(try Self.parse(line) == nil)
    }

    @Test func openTakesSeveralAddresses() throws {
        let expected = Command.open([
            HostAddress(host: "a", port: 8010), HostAddress(host: "b", port: 9000), HostAddress(host: "::1", port: 8010),
        ])
        #expect(try Self.parse("open a,b:9000,[::1]") == expected)
        #expect(try Self.parse("open a, b:9000 , [::1]") == expected)
        #expect(try Self.parse("connect a b:9000 [::1]:8010") == expected)
        #expect(try Self.parse("open a,a:8010,b:9000,::1") == expected)  // duplicates dropped
    }

    // MARK: refused lines

    @Test func unknownCommandsSuggestTheClosest() {
        #expect(Self.error("stauts") == #"unknown command "stauts" (did you mean "status"?)"#)
        #expect(Self.error("stat") == #"unknown command "stat" (did you mean "status"?)"#)
        #expect(Self.error("strat Task1") == #"unknown command "strat" (did you mean "start"?)"#)
        #expect(Self.error("lst") == #"unknown command "lst" (did you mean "list"?)"#)
        #expect(Self.error("listw Task1") == #"unknown command "listw" (did you mean "listworkers"?)"#)
        #expect(Self.error("qiut") == #"unknown command "qiut" (did you mean "quit"?)"#)
        #expect(Self.error("conect x") == #"unknown command "conect" (did you mean "connect"?)"#)
        #expect(Self.error("sett Task1 cardinality 2") == #"unknown command "sett" (did you mean "set"?)"#)
    }

    @Test func unknownCommandsFarFromAnyGetTheHelpHint() {
        #expect(Self.error("frobnicate") == #"unknown command "frobnicate" (type "help" for the list of commands)"#)
        #expect(Self.error("x") == #"unknown command "x" (type "help" for the list of commands)"#)
        #expect(Self.error("help frobnicate") == #"unknown command "frobnicate" (type "help" for the list of commands)"#)
    }

    @Test func missingArgumentsSayWhatIsMissing() throws {
        #expect(try Self.parse("start") == .start(task: nil))
        #expect(Self.error("signal") == "signal: missing TASK and SIG (usage: signal TASK SIG)")
        #expect(Self.error("signal A") == "signal: missing SIG, a signal name such as USR1 (usage: signal TASK SIG)")
        #expect(Self.error("signal A USR1 B") == #"signal: unexpected "B" (usage: signal TASK SIG)"#)
        #expect(try Self.parse("signal A usr1") == .signal(task: "A", signal: "usr1"))
        #expect(Self.error("pause") == "pause: missing TASK (usage: pause TASK)")
        #expect(Self.error("resume A B") == #"resume: unexpected "B" (usage: resume TASK)"#)
        #expect(try Self.parse("PAUSE A") == .pause(task: "A"))
        #expect(try Self.parse("resume A") == .resume(task: "A"))
        #expect(Self.error("lw") == "lw: missing TASK (usage: lw|listworkers TASK)")
        #expect(Self.error("listworkers") == "listworkers: missing TASK (usage: lw|listworkers TASK)")
        #expect(Self.error("open") == "open: missing HOST[:PORT] (usage: open|connect HOST[:PORT][,HOST[:PORT]...])")
        #expect(Self.error("connect  ") == "connect: missing HOST[:PORT] (usage: open|connect HOST[:PORT][,HOST[:PORT]...])")
        #expect(Self.error("set") == "set: missing TASK, the setting (cardinality) and N (usage: set TASK cardinality N)")
        #expect(Self.error("set Good") == "set: missing the setting (cardinality) and N (usage: set TASK cardinality N)")
        #expect(Self.error("set Good cardinality") == "set: missing N, the number of workers (usage: set TASK cardinality N)")
        #expect(Self.error("set Good 3") == #"set: missing "cardinality" before 3 (usage: set TASK cardinality N)"#)
    }

    @Test func extraArgumentsAreRefused() {
        #expect(Self.error("ls Task1") == #"ls: unexpected "Task1" (usage: ls|list)"#)
        #expect(Self.error("list a b") == #"list: unexpected "a" "b" (usage: ls|list)"#)
        #expect(Self.error("status A B") == #"status: unexpected "B" (usage: status|st [TASK])"#)
        #expect(Self.error("start A B") == #"start: unexpected "B" (usage: start [TASK])"#)
        #expect(Self.error("stop A B C") == #"stop: unexpected "B" "C" (usage: stop [TASK])"#)
        #expect(Self.error("lw A B") == #"lw: unexpected "B" (usage: lw|listworkers TASK)"#)
        #expect(Self.error("watch A B") == #"watch: unexpected "B" (usage: watch [TASK])"#)
        #expect(Self.error("wacth") == #"unknown command "wacth" (did you mean "watch"?)"#)
        #expect(Self.error("set A cardinality 3 4") == #"set: unexpected "4" (usage: set TASK cardinality N)"#)
        #expect(Self.error("restart A B") == #"restart: unexpected "B" (usage: restart [TASK])"#)
        #expect(Self.error("reload now") == #"reload: unexpected "now" (usage: reload)"#)
        #expect(Self.error("relaod") == #"unknown command "relaod" (did you mean "reload"?)"#)
        #expect(Self.error("quit now") == #"quit: unexpected "now" (usage: quit|exit)"#)
        #expect(Self.error("help set start") == #"help: unexpected "start" (usage: help|h [COMMAND])"#)
    }

    @Test(arguments: ["abc", "-1", "1.5", "+3", "3x", "0x10", "1e3", "٣"])
    func badNumbersAreRefused(value: String) {
        #expect(Self.error("set Good cardinality \(value)") == "set: N must be a whole number, 0 or more, got \"\(value)\"")
    }

    @Test func hugeNumbersAreRefused() {
        #expect(Self.error("set Good cardinality 99999999999999999999") == #"set: N is too large: "99999999999999999999""#)
    }

    @Test func unknownSettingsAreRefused() {
        #expect(Self.error("set Good cardnality 3") == #"set: unknown setting "cardnality" (did you mean "cardinality"?)"#)
        #expect(Self.error("set Good foo 3") == #"set: unknown setting "foo" (the only one is cardinality)"#)
        #expect(Self.error("set Good foo") == #"set: unknown setting "foo" (the only one is cardinality)"#)
    }

    @Test func badAddressesAreRefused() {
        #expect(Self.error("open a:99999") == #"open: bad address "a:99999": port 99999 is out of range (1 to 65535)"#)
        #expect(Self.error("open a:x") == #"open: bad address "a:x": port "x" is not a number"#)
        #expect(Self.error("open a:8010,b:0") == #"open: bad address "b:0": port 0 is out of range (1 to 65535)"#)
        #expect(Self.error("connect https://a") == #"connect: bad address "https://a": only http:// is supported, not https://"#)
        #expect(Self.error("open a/b") == #"open: bad address "a/b": "/" is not allowed in a host name"#)
        #expect(Self.error("open ,") == #"open: bad address ",": no host"#)
    }
}
