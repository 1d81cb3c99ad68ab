import Foundation
import Testing

@testable import Supervisor

/// The directory of a path as `NSString.deletingLastPathComponent` gave it
/// (the state file's directory), and errno texts out of FileManager errors.
@Suite struct PathTextTests {
    @Test(arguments: [
        ("state.json", ""), ("/state.json", "/"), ("/var/lib/wpm/state.json", "/var/lib/wpm"),
        ("dir/state.json", "dir"), ("dir//state.json", "dir"), ("dir/sub/", "dir"), ("/", "/"), ("", ""),
        ("./state.json", "."),
    ])
    func directoryPartMatchesFoundation(path: String, expected: String) {
        #expect(directoryPart(of: path) == expected)
        #expect(directoryPart(of: path) == (path as NSString).deletingLastPathComponent)
    }

    @Test func fileManagerErrorsSayWhatErrnoSays() {
        do {
            _ = try FileManager.default.contentsOfDirectory(atPath: "/nonexistent/wpm-path-text")
            Issue.record("listed a directory that does not exist")
        } catch {
            #expect(systemErrorText(error) == "No such file or directory")
        }
        struct Other: Error, CustomStringConvertible { var description: String { "something else" } }
        #expect(systemErrorText(Other()) == "something else")
    }
}
