import CShims
import FoundationEssentials
import Glibc
import SystemPackage

/// Turns signals into an `AsyncStream` of signal numbers: a handler writes
/// each number to a pipe, a dedicated thread reads it. Unlike signalfd this
/// works whichever thread the kernel picks, and unlike `SIG_IGN`-based
/// sources it keeps SIGCHLD delivered (and children reapable).
public final class SignalPipe: Sendable {
    public let signals: AsyncStream<Int32>

    /// Installs the handler for `numbers`. Call once per process.
    public init(_ numbers: [Int32]) throws {
        let fds = try FileDescriptor.pipe(options: .closeOnExec)
        _ = fcntl(fds.writeEnd.rawValue, F_SETFL, O_NONBLOCK)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.signals = stream
        let readEnd = fds.readEnd
        DetachedThread.start(name: "wpm-signals") {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd.rawValue, &byte, 1)
                if n == 1 {
                    continuation.yield(Int32(byte))
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    continuation.finish()
                    return
                }
            }
        }
        let rc = numbers.withUnsafeBufferPointer {
            wpm_install_signal_pipe(fds.writeEnd.rawValue, $0.baseAddress, Int32($0.count))
        }
        if rc != 0 { throw Errno(rawValue: rc) }
    }
}
