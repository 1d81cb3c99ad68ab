import Foundation
import Testing

@testable import Supervisor

/// The state file: written atomically, read back, and refused with a reason
/// when it is not a state file (the manager then ignores it).
@Suite struct RuntimeStateTests {
    /// Removed with the suite instance, whatever the test did.
    let scratch: TaskDirectory
    var directory: String { scratch.path }

    init() throws { scratch = try TaskDirectory() }

    var file: String { directory + "/example.state.json" }

    func write(_ text: String) {
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
    }

    @Test func roundTripLeavesNoTemporaryFile() throws {
        let state = RuntimeState(tasks: ["A": .init(running: true, cardinality: 3), "B": .init(running: false, cardinality: 0)])
        try StateFile.write(state, to: file)
        #expect(try StateFile.read(file) == state)
        // Replaced, not appended to.
        try StateFile.write(RuntimeState(tasks: [:]), to: file)
        #expect(try StateFile.read(file) == RuntimeState(tasks: [:]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["example.state.json"])
    }

    @Test func aMissingFileIsNoState() throws {
        #expect(try StateFile.read(file) == nil)
    }

    @Test(arguments: [
        ("", "it is empty"),
        (#"{"version": 1, "tasks": {"A": {"running": tr"#, "not a valid state file"),
        ("garbage", "not a valid state file"),
        (#"{"version": 2, "tasks": {}}"#, "version 2, expected 1"),
        (#"{"version": 1}"#, #""tasks" is missing"#),
        (#"{"version": 1, "tasks": {"A": {"running": "yes", "cardinality": 1}}}"#, "tasks.A.running"),
        (#"{"version": 1, "tasks": {"A": {"running": true, "cardinality": -2}}}"#, "task A has a negative cardinality"),
    ])
    func aBrokenFileIsRefusedWithTheReason(text: String, reason: String) throws {
        write(text)
        #expect {
            _ = try StateFile.read(file)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func aWriteThatCannotHappenSaysWhy() throws {
        let missing = directory + "/no/such/dir/state.json"
        #expect {
            try StateFile.write(RuntimeState(tasks: [:]), to: missing)
        } throws: { error in
            "\(error)".contains("No such file or directory")
        }
    }

    @Test func theDefaultStateFileIsBesideTheConfig() {
        #expect(Reader.defaultStateFile(for: "/etc/wpmanager/example.json") == "/etc/wpmanager/example.state.json")
        #expect(Reader.defaultStateFile(for: "wpm.conf") == "wpm.conf.state.json")
    }
}
