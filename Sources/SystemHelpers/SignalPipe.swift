import CShims
import Glibc
import SystemPackage

/// The self-pipe trick, for the manager and the console alike: a handler
/// (CShims, `wpm_install_signal_pipe`) writes each signal's number as one
/// byte to a non-blocking pipe, and whoever watches `readEnd` (a thread, a
/// poll loop, a dispatch source) reads the numbers with `drain()` or
/// `wait()`. Unlike signalfd this works whichever thread the kernel picks,
/// and unlike `SIG_IGN`-based sources it keeps SIGCHLD delivered (and
/// children reapable). One per process: installing another reroutes the
/// handler to the newer pipe.
public final class SignalPipe: Sendable {
    private let pipe: NonBlockingPipe

    /// The end to watch for readability.
    public var readEnd: Int32 { pipe.readEnd }

    /// Routes `signals` to a new pipe and unblocks them on the calling thread.
    public init(_ signals: [Int32]) throws(Errno) {
        pipe = try NonBlockingPipe()
        let rc = signals.withUnsafeBufferPointer {
            wpm_install_signal_pipe(pipe.writeEnd, $0.baseAddress, Int32($0.count))
        }
        if rc != 0 { throw Errno(rawValue: rc) }
    }

    /// The signals that arrived since the last call, oldest first (none
    /// when none did: never blocks).
    public func drain() -> [Int32] {
        var signals: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = retryingOnInterrupt { buffer.withUnsafeMutableBytes { read(pipe.readEnd, $0.baseAddress, $0.count) } }
            guard count > 0 else { return signals }
            signals += buffer[..<count].map { Int32($0) }
        }
    }

    /// Blocks until at least one signal has arrived, then returns those
    /// that did; nil when the pipe cannot be polled.
    public func wait() -> [Int32]? {
        while true {
            var fd = pollfd(fd: pipe.readEnd, events: Int16(POLLIN), revents: 0)
            guard retryingOnInterrupt({ poll(&fd, 1, -1) }) >= 0 else { return nil }
            let signals = drain()
            if !signals.isEmpty { return signals }
        }
    }

    /// Unblocks `signals` on the calling thread (a parent may have left them
    /// blocked, and a thread's mask is inherited across exec); threads
    /// started later inherit that. Returns 0 or errno.
    @discardableResult
    public static func unblock(_ signals: [Int32]) -> Int32 {
        signals.withUnsafeBufferPointer { wpm_unblock_signals($0.baseAddress, Int32($0.count)) }
    }

    /// Restores the default action of `signal`.
    public static func resetToDefault(_ signal: Int32) {
        wpm_reset_signal(signal)
    }
}
