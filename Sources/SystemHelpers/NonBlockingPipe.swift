import Glibc
import SystemPackage

/// A pipe whose two ends are non-blocking and close-on-exec (made so
/// atomically: swift-system's `pipe2`): wake-up pipes and signal pipes.
public struct NonBlockingPipe: Sendable {
    public let readEnd: Int32
    public let writeEnd: Int32

    public init() throws(Errno) {
        let fds = try FileDescriptor.pipe(options: [.closeOnExec, .nonBlocking])
        (readEnd, writeEnd) = (fds.readEnd.rawValue, fds.writeEnd.rawValue)
    }

    /// Closes both ends.
    public func close() {
        _ = Glibc.close(readEnd)
        _ = Glibc.close(writeEnd)
    }
}
