import Testing

@testable import wpconsole

/// What Tab offers, word by word.
@Suite struct CompleterTests {
    let completer = Completer(
        taskNames: ["Alpha", "Beta", "Batch", "alpine"],
        hosts: [HostAddress(host: "a", port: 1), HostAddress(host: "b", port: 2)])

    @Test func commandNamesAtTheStart() {
        #expect(completer.candidates(before: "", word: "") == CommandName.allSpellings)
        #expect(completer.candidates(before: "", word: "l") == ["list", "listworkers", "ls", "lw"])
        #expect(completer.candidates(before: "", word: "listw") == ["listworkers"])
        #expect(completer.candidates(before: "  ", word: "sta") == ["start", "status"])
        #expect(completer.candidates(before: "", word: "x").isEmpty)
    }

    @Test(arguments: ["status ", "st ", "start ", "stop ", "lw ", "listworkers ", "set ", "watch ", "  status\t ", "signal ", "pause ", "resume "])
    func taskNamesAfterCommandsThatTakeOne(before: String) {
        #expect(completer.candidates(before: before, word: "") == ["Alpha", "Batch", "Beta", "alpine"])
        #expect(completer.candidates(before: before, word: "B") == ["Batch", "Beta"])
        #expect(completer.candidates(before: before, word: "Al") == ["Alpha"])  // case matters
    }

    @Test func cardinalityAfterSetTask() {
        #expect(completer.candidates(before: "set Alpha ", word: "") == ["cardinality"])
        #expect(completer.candidates(before: "set Alpha ", word: "c") == ["cardinality"])
        #expect(completer.candidates(before: "set Alpha ", word: "x").isEmpty)
        #expect(completer.candidates(before: "set Alpha cardinality ", word: "").isEmpty)
    }

    @Test func signalNamesAfterSignalTask() {
        #expect(completer.candidates(before: "signal Alpha ", word: "US") == ["USR1", "USR2"])
        #expect(completer.candidates(before: "signal Alpha ", word: "").contains("HUP"))
        #expect(!completer.candidates(before: "signal Alpha ", word: "").contains("STOP"))
        #expect(completer.candidates(before: "signal Alpha USR1 ", word: "").isEmpty)
    }

    @Test func nothingWhereNothingFits() {
        #expect(completer.candidates(before: "status Alpha ", word: "").isEmpty)
        #expect(completer.candidates(before: "ls ", word: "").isEmpty)
        #expect(completer.candidates(before: "quit ", word: "").isEmpty)
        #expect(completer.candidates(before: "frob ", word: "").isEmpty)
    }

    @Test func commandNamesAfterHelp() {
        #expect(completer.candidates(before: "help ", word: "se") == ["set"])
    }

    @Test func addressesAfterOpen() {
        #expect(completer.candidates(before: "open ", word: "") == ["a:1", "b:2", "localhost:8010"])
        #expect(completer.candidates(before: "open a:1,", word: "") == ["a:1", "b:2", "localhost:8010"])
        #expect(completer.candidates(before: "connect a:1 ", word: "") == ["b:2", "localhost:8010"])
        #expect(completer.candidates(before: "open ", word: "l") == ["localhost:8010"])
    }

    @Test func noTaskNamesKnownCompletesNoTask() {
        #expect(Completer().candidates(before: "start ", word: "").isEmpty)
    }

    @Test func theSharedStateIsWhatTabSees() {
        let state = CompletionState()
        state.update { $0.taskNames = ["One"] }
        #expect(state.snapshot.candidates(before: "start ", word: "") == ["One"])
        state.update { $0.taskNames = ["Two"] }
        #expect(state.snapshot.candidates(before: "start ", word: "") == ["Two"])
    }
}
