import CReadline
import Dispatch
import Glibc

/// The self-pipe trick: SIGINT, SIGTERM, SIGHUP and SIGWINCH become bytes on
/// a non-blocking pipe, which the line editor polls beside the terminal (a
/// signal handler may do nothing else safely). Interactive mode only.
final class SignalPipe: Sendable {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGWINCH]

    let readFD: Int32
    private let writeFD: Int32

    init?() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        (readFD, writeFD) = (fds[0], fds[1])
        for signal in Self.signals { _ = wpc_route_signal_to_pipe(signal, writeFD) }
    }

    /// Awaits `command` while SIGINT cancels it (so it ends the normal way)
    /// and SIGTERM or SIGHUP end the process as they would have; `queue`,
    /// idle meanwhile, watches the pipe.
    func cancellingOnInterrupt<T: Sendable>(_ command: Task<T, Never>, watchingOn queue: DispatchQueue) async -> T {
        let source = DispatchSource.makeReadSource(fileDescriptor: readFD, queue: queue)
        source.setEventHandler { [self] in
            for signal in drain() {
                switch signal {
                case SIGINT: command.cancel()
                case SIGTERM, SIGHUP: Self.die(of: signal)
                default: break  // SIGWINCH: the size is read again before the next line
                }
            }
        }
        source.resume()
        let value = await command.value
        source.cancel()
        return value
    }

    /// The signals that arrived since the last call, oldest first.
    func drain() -> [Int32] {
        var signals: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(readFD, $0.baseAddress, $0.count) }
            if count > 0 {
                signals += buffer[..<count].map { Int32($0) }
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return signals
            }
        }
    }

    /// Ends the process the way `signal` would have, once the terminal is
    /// restored: default action, then the signal again.
    static func die(of signal: Int32) -> Never {
        RawTerminal.restoreIfActive()
        _ = wpc_default_signal(signal)
        raise(signal)
        _exit(128 + signal)
    }
}
