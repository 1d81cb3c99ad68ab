import Dispatch
import Foundation
import SystemPackage

/// Copies the output of workers with `capture_output` to the manager's
/// output, one line at a time, each prefixed with `[TASK PID] `.
///
/// Every pipe is watched by a dispatch read source on one serial queue. A
/// line longer than `maxLine` is cut into pieces; a last line without a
/// newline is written when the worker closes its end.
public final class OutputRouter: Sendable {
    public static let maxLine = 16 * 1024
    private let queue = DispatchQueue(label: "wpm.output")
    private let destination: FileDescriptor

    public init(destination: FileDescriptor = .standardOutput) {
        self.destination = destination
    }

    func follow(_ fd: FileDescriptor, task: String, pid: pid_t) {
        _ = fcntl(fd.rawValue, F_SETFL, O_NONBLOCK)
        let reader = LineReader(prefix: Array("[\(task) \(pid)] ".utf8), destination: destination)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd.rawValue, queue: queue)
        source.setEventHandler {
            if !reader.drain(fd) { source.cancel() }
        }
        source.setCancelHandler {
            reader.finish()
            try? fd.close()
        }
        source.activate()
    }
}

/// Line splitting state for one pipe; used only on the router's queue.
private final class LineReader: @unchecked Sendable {
    let prefix: [UInt8]
    let destination: FileDescriptor
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(prefix: [UInt8], destination: FileDescriptor) {
        self.prefix = prefix
        self.destination = destination
    }

    /// Reads what is there; false at end of file or on an error.
    func drain(_ fd: FileDescriptor) -> Bool {
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                read(fd.rawValue, raw.baseAddress, raw.count)
            }
            if count > 0 {
                emit(buffer[0..<count])
                continue
            }
            if count < 0, errno == EINTR { continue }
            return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
    }

    func finish() {
        if !pending.isEmpty {
            write(prefix + pending + [UInt8(ascii: "\n")])
            pending = []
        }
    }

    private func emit(_ bytes: ArraySlice<UInt8>) {
        var out: [UInt8] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            out += prefix
            out += pending
            out += bytes[start...newline]
            pending = []
            start = newline + 1
        }
        pending += bytes[start...]
        while pending.count >= OutputRouter.maxLine {
            out += prefix
            out += pending.prefix(OutputRouter.maxLine)
            out.append(UInt8(ascii: "\n"))
            pending.removeFirst(OutputRouter.maxLine)
        }
        if !out.isEmpty { write(out) }
    }

    private func write(_ bytes: [UInt8]) {
        _ = try? bytes.withUnsafeBytes { try destination.writeAll($0) }
    }
}
