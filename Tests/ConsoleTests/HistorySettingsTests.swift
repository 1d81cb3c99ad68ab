import Testing

@testable import wpconsole

@Suite struct HistorySettingsTests {
    @Test func defaultIsTheHomeFileAndAThousandLines() {
        #expect(HistorySettings(environment: ["HOME": "/home/op"]) == HistorySettings(path: "/home/op/.wpconsole_history", size: 1000))
        #expect(HistorySettings(environment: ["HOME": "/"]) == HistorySettings(path: "/.wpconsole_history", size: 1000))
    }

    @Test func theVariableNamesAnotherFile() {
        let settings = HistorySettings(environment: ["HOME": "/home/op", "WPCONSOLE_HISTORY": "/tmp/h"])
        #expect(settings == HistorySettings(path: "/tmp/h", size: 1000))
    }

    @Test func anEmptyVariableOrNoHomeKeepsNoFile() {
        #expect(HistorySettings(environment: ["HOME": "/home/op", "WPCONSOLE_HISTORY": ""]).path == nil)
        #expect(HistorySettings(environment: [:]).path == nil)
        #expect(HistorySettings(environment: ["HOME": ""]).path == nil)
    }

    @Test func theSizeCanBeChanged() {
        let env = ["HOME": "/h"]
        #expect(HistorySettings(environment: env.merging(["WPCONSOLE_HISTORY_SIZE": "5"]) { $1 }).size == 5)
        #expect(HistorySettings(environment: env.merging(["WPCONSOLE_HISTORY_SIZE": "0"]) { $1 }) == HistorySettings(path: nil, size: 0))
    }

    @Test(arguments: ["", "abc", "-3", "1.5"])
    func aBadSizeKeepsTheDefault(text: String) {
        #expect(HistorySettings(environment: ["HOME": "/h", "WPCONSOLE_HISTORY_SIZE": text]).size == 1000)
    }
}
