import FoundationEssentials
import Glibc
import Synchronization
import SystemHelpers
import SystemPackage

/// Reads one worker's output pipe, splits it into lines and hands them, with
/// each destination's prefix, to the writers. Used only on the `PipePoller`'s thread.
final class PipeReader: @unchecked Sendable {
    let standardOutput: OutputWriter?
    let files: OutputWriter?
    let recent: RecentOutput
    let task: String
    let pid: pid_t
    let outputPrefix: [UInt8]
    let filePrefix: [UInt8]
    private var pending: [UInt8] = []

    init(task: String, pid: pid_t, standardOutput: OutputWriter?, files: OutputWriter?, recent: RecentOutput) {
        self.task = task
        self.pid = pid
        self.recent = recent
        self.standardOutput = standardOutput
        self.files = files
        outputPrefix = Array("[\(task) \(pid)] ".utf8)
        filePrefix = Array(" [\(pid)] ".utf8)
    }

    /// Reads what is there through `buffer` (the poller's one buffer for
    /// every pipe); false at end of file or on an error.
    func drain(_ fd: FileDescriptor, buffer: inout [UInt8]) -> Bool {
        while true {
            let count = retryingOnInterrupt { buffer.withUnsafeMutableBytes { read(fd.rawValue, $0.baseAddress, $0.count) } }
            if count > 0 {
                emit(lines(in: buffer[0..<count]))
                continue
            }
            return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
    }

    /// The worker closed its end: a last line without a newline is not lost.
    func finish() {
        if !pending.isEmpty {
            emit([pending[...]])
            pending = []
        }
    }

    /// Whole lines (without their newline) completed by `bytes`; the rest waits.
    private func lines(in bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if pending.isEmpty {
                lines.append(bytes[start..<newline])
            } else {
                lines.append((pending + bytes[start..<newline])[...])
                pending = []
            }
            start = newline + 1
        }
        pending += bytes[start...]
        while pending.count >= OutputRouter.maxLine {
            lines.append(pending[0..<OutputRouter.maxLine])
            pending.removeFirst(OutputRouter.maxLine)
        }
        return lines
    }

    private func emit(_ lines: [ArraySlice<UInt8>]) {
        guard !lines.isEmpty else { return }
        recent.append(task: task, pid: pid, lines: lines)
        if let standardOutput {
            var chunk: [UInt8] = []
            for line in lines {
                chunk += outputPrefix
                chunk += line
                chunk.append(UInt8(ascii: "\n"))
            }
            standardOutput.submit(.init(task: task, bytes: chunk, lines: lines.count))
        }
        if let files, files.wanted.load(ordering: .relaxed) {
            let time = Array(LogTimestamp.now().utf8)
            var chunk: [UInt8] = []
            for line in lines {
                chunk += time
                chunk += filePrefix
                chunk += line
                chunk.append(UInt8(ascii: "\n"))
            }
            files.submit(.init(task: task, bytes: chunk, lines: lines.count))
        }
    }
}
