import Foundation
import Logging
import Synchronization
import Testing

@testable import Supervisor

@Suite struct TaskLogFilesTests {
    /// Removed with the suite instance, whatever the test did.
    let scratch: TaskDirectory
    var directory: String { scratch.path }

    init() throws { scratch = try TaskDirectory() }

    func contents(_ name: String) -> String? {
        try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)
    }

    func chunk(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\n" }.joined().utf8) }

    @Test func rotatesBetweenLinesAtTheSizeKeepingTheBackups() throws {
        let files = TaskLogFiles(config: WorkerLogConfig(directory: directory, maxSize: 100, backups: 2), logger: Logger(label: "t"))
        // 30 lines of 20 bytes: five per file.
        let lines = (0..<30).map { String(format: "line %03d ----------", $0) }
        #expect(lines.allSatisfy { $0.utf8.count == 19 })
        #expect(files.write(task: "Work", chunk: chunk(Array(lines[0..<7])), lines: 7) == 0)
        for line in lines[7...] { #expect(files.write(task: "Work", chunk: chunk([line]), lines: 1) == 0) }
        #expect(contents("Work.log") == lines[25..<30].map { $0 + "\n" }.joined())
        #expect(contents("Work.log.1") == lines[20..<25].map { $0 + "\n" }.joined())
        #expect(contents("Work.log.2") == lines[15..<20].map { $0 + "\n" }.joined())
        #expect(contents("Work.log.3") == nil)
    }

    @Test func aLineLongerThanTheLimitGetsAFileOfItsOwnAndNoBackupsMeansTruncation() throws {
        let files = TaskLogFiles(config: WorkerLogConfig(directory: directory, maxSize: 50, backups: 0), logger: Logger(label: "t"))
        let long = String(repeating: "x", count: 80)
        #expect(files.write(task: "T", chunk: chunk(["short", long, "after"]), lines: 3) == 0)
        #expect(contents("T.log") == "after\n")
        #expect(contents("T.log.1") == nil)
    }

    @Test func reopenFollowsTheNameAndAppends() throws {
        let files = TaskLogFiles(config: WorkerLogConfig(directory: directory, maxSize: 0, backups: 1), logger: Logger(label: "t"))
        #expect(files.write(task: "T", chunk: chunk(["one"]), lines: 1) == 0)
        try FileManager.default.moveItem(atPath: directory + "/T.log", toPath: directory + "/T.log.moved")
        #expect(files.write(task: "T", chunk: chunk(["two"]), lines: 1) == 0)  // still the moved file
        files.reopen()
        #expect(files.write(task: "T", chunk: chunk(["three"]), lines: 1) == 0)
        #expect(contents("T.log.moved") == "one\ntwo\n")
        #expect(contents("T.log") == "three\n")
    }

    @Test func aFileThatCannotBeOpenedLosesAndCountsItsLines() throws {
        let files = TaskLogFiles(
            config: WorkerLogConfig(directory: directory + "/missing", maxSize: 0, backups: 1), logger: Logger(label: "t"))
        try FileManager.default.removeItem(atPath: directory)
        #expect(files.write(task: "T", chunk: chunk(["a", "b"]), lines: 2) == 2)
    }
}

/// A destination that blocks until released, and records what it got.
final class GatedDestination: OutputDestination, @unchecked Sendable {
    let gate = DispatchSemaphore(value: 0)
    let received = Mutex<[String]>([])

    func write(task: String, chunk: [UInt8], lines: Int) -> Int {
        gate.wait()
        gate.signal()
        received.withLock { $0.append(String(decoding: chunk, as: UTF8.self)) }
        return 0
    }

    func reopen() {}
}

@Suite struct OutputWriterTests {
    @Test func aStuckDestinationNeverBlocksTheSubmitterAndDropsAreCounted() {
        let destination = GatedDestination()
        let writer = OutputWriter(name: "test", capacity: 100, destination: destination, logger: Logger(label: "t"))
        _ = writer.start()
        defer { writer.stop() }
        let line = Array(String(repeating: "y", count: 39).utf8) + [10]
        // The buffer holds two chunks; the (stuck) writer thread takes at
        // most one batch of them away meanwhile: two to four get through.
        // Submitted from a thread of its own, so that a submit that blocks
        // fails the test instead of hanging it.
        let submitted = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for _ in 0..<50 { writer.submit(.init(task: "A", bytes: line, lines: 1)) }
            writer.submit(.init(task: "B", bytes: line + line + line, lines: 3))
            submitted.signal()
        }
        let returned = submitted.wait(timeout: .now() + 20) == .success
        #expect(returned, "submit blocked on a stuck destination")
        guard returned else {
            destination.gate.signal()
            return
        }
        let droppedA = writer.droppedLines(task: "A")
        #expect((46...48).contains(droppedA), "\(droppedA)")
        #expect(writer.droppedLines(task: "B") == 3)
        destination.gate.signal()
        #expect(writer.waitUntilIdle(before: ContinuousClock.now + .seconds(20)))
        #expect(destination.received.withLock { $0.count } == 50 - droppedA)
        // Room again: accepted.
        writer.submit(.init(task: "A", bytes: line, lines: 1))
        #expect(writer.waitUntilIdle(before: ContinuousClock.now + .seconds(20)))
        #expect(writer.droppedLines(task: "A") == droppedA)
    }
}
