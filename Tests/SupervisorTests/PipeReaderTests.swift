import Foundation
import Logging
import Synchronization
import SystemPackage
import Testing

@testable import Supervisor

/// Records every chunk it is given.
final class RecordingDestination: OutputDestination, @unchecked Sendable {
    let text = Mutex("")

    func write(task: String, chunk: [UInt8], lines: Int) -> Int {
        text.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
        return 0
    }

    func reopen() {}
}

@Suite struct PipeReaderTests {
    @Test func linesGetEachDestinationsPrefixLongOnesAreCutAndTheTailIsKept() throws {
        let (out, files) = (RecordingDestination(), RecordingDestination())
        let logger = Logger(label: "t")
        let outWriter = OutputWriter(name: "out", capacity: 1 << 20, destination: out, logger: logger)
        let fileWriter = OutputWriter(name: "files", capacity: 1 << 20, destination: files, logger: logger)
        _ = (outWriter.start(), fileWriter.start())
        defer { outWriter.stop(); fileWriter.stop() }
        let recent = RecentOutput()
        let reader = PipeReader(task: "T", pid: 7, standardOutput: outWriter, files: fileWriter, recent: recent)
        let pipe = try FileDescriptor.pipe()
        defer { try? pipe.readEnd.close() }
        _ = fcntl(pipe.readEnd.rawValue, F_SETFL, O_NONBLOCK)
        let long = String(repeating: "x", count: 2 * OutputRouter.maxLine + 100)
        // Smaller than the long line: it arrives in several reads.
        var buffer = [UInt8](repeating: 0, count: 4096)
        for piece in ["a\nb", "b\n", long, "\nlast"] {
            _ = try pipe.writeEnd.writeAll(Array(piece.utf8))
            #expect(reader.drain(pipe.readEnd, buffer: &buffer))  // more may come
        }
        try pipe.writeEnd.close()
        #expect(!reader.drain(pipe.readEnd, buffer: &buffer))  // end of file
        #expect(!out.text.withLock { $0 }.contains("last"))  // no newline yet
        reader.finish()
        let deadline = ContinuousClock.now + .seconds(20)
        #expect(outWriter.waitUntilIdle(before: deadline) && fileWriter.waitUntilIdle(before: deadline))

        let x = String(repeating: "x", count: OutputRouter.maxLine)
        let expected = ["a", "bb", x, x, String(repeating: "x", count: 100), "last"]
        #expect(out.text.withLock { $0 } == expected.map { "[T 7] \($0)\n" }.joined())
        let fileLines = files.text.withLock { $0 }.split(separator: "\n").map(String.init)
        #expect(fileLines.count == expected.count)
        for (line, text) in zip(fileLines, expected) {
            #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[7\] "#, options: .regularExpression) != nil)
            #expect(line.hasSuffix(" [7] " + text))
        }
        #expect(recent.last(100, of: "T").map(\.line) == expected)
        #expect(recent.last(100, of: "T").allSatisfy { $0.pid == 7 && $0.task == "T" })
    }
}

@Suite struct PipePollerTests {
    @Test func followsEveryPipeToItsEndThenForgetsIt() throws {
        let out = RecordingDestination()
        let writer = OutputWriter(name: "out", capacity: 1 << 20, destination: out, logger: Logger(label: "t"))
        _ = writer.start()
        defer { writer.stop() }
        let poller = PipePoller()
        var writeEnds: [FileDescriptor] = []
        for n in 0..<3 {
            let pipe = try FileDescriptor.pipe()
            _ = fcntl(pipe.readEnd.rawValue, F_SETFL, O_NONBLOCK)
            poller.add(pipe.readEnd.rawValue, PipeReader(task: "T\(n)", pid: pid_t(n), standardOutput: writer, files: nil, recent: RecentOutput()))
            writeEnds.append(pipe.writeEnd)
        }
        #expect(poller.count == 3)
        for (n, end) in writeEnds.enumerated() {
            _ = try end.writeAll(Array("line \(n)\ntail \(n)".utf8))
        }
        // Still open: the complete lines arrive, the tails wait.
        let deadline = ContinuousClock.now + .seconds(20)
        while out.text.withLock({ $0 }).split(separator: "\n").count < 3, ContinuousClock.now < deadline { usleep(1000) }
        #expect(!out.text.withLock { $0 }.contains("tail"))
        #expect(poller.count == 3)
        for end in writeEnds { try end.close() }
        while poller.count > 0, ContinuousClock.now < deadline { usleep(1000) }
        #expect(poller.count == 0)
        #expect(writer.waitUntilIdle(before: deadline))
        let lines = Set(out.text.withLock { $0 }.split(separator: "\n").map(String.init))
        #expect(lines == Set((0..<3).flatMap { ["[T\($0) \($0)] line \($0)", "[T\($0) \($0)] tail \($0)"] }))
    }
}
