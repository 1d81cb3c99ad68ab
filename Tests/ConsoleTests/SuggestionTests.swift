import Testing

@testable import wpconsole

@Suite struct SuggestionTests {
    @Test(arguments: [
        ("", "", 0), ("abc", "abc", 0), ("abc", "", 3), ("", "ab", 2), ("stauts", "status", 1), ("ab", "ba", 1),
        ("kitten", "sitting", 3), ("strat", "start", 1), ("lst", "ls", 1), ("set", "sett", 1),
    ])
    func distance(a: String, b: String, expected: Int) {
        #expect(Suggestion.distance(a, b) == expected)
        #expect(Suggestion.distance(b, a) == expected)
    }

    @Test func closeEnoughIsAtMostTwoEditsAndFewerThanTheWordsLetters() {
        let words = ["status", "start", "stop"]
        #expect(Suggestion.closest(to: "statsu", among: words) == "status")
        #expect(Suggestion.closest(to: "sotp", among: words) == "stop")
        #expect(Suggestion.closest(to: "xyzzy", among: words) == nil)
        #expect(Suggestion.closest(to: "q", among: ["h"]) == nil)  // one letter, one edit: a guess
        #expect(Suggestion.closest(to: "", among: words) == nil)
        #expect(Suggestion.closest(to: "STOP", among: words) == "stop")
    }

    @Test func aUniquePrefixWins() {
        #expect(Suggestion.closest(to: "stat", among: ["status", "start", "stop"]) == "status")
        #expect(Suggestion.closest(to: "listw", among: ["list", "listworkers"]) == "listworkers")
    }

    @Test func tiesGoToTheFirstCandidate() {
        #expect(Suggestion.closest(to: "stbp", among: ["stop", "step"]) == "stop")
        #expect(Suggestion.closest(to: "stbp", among: ["step", "stop"]) == "step")
    }
}
