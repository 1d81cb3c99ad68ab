import Dispatch
import Glibc
import SystemHelpers

/// SIGINT, SIGTERM, SIGHUP and SIGWINCH through the signal pipe
/// (SystemHelpers), which the line editor polls beside the terminal (a
/// signal handler may do nothing else safely). Interactive mode only.
final class ConsoleSignals: Sendable {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGWINCH]

    private let pipe: SignalPipe
    var readFD: Int32 { pipe.readEnd }

    init?() {
        guard let pipe = try? SignalPipe(Self.signals) else { return nil }
        self.pipe = pipe
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
    func drain() -> [Int32] { pipe.drain() }

    /// Ends the process the way `signal` would have, once the terminal is
    /// restored: default action, then the signal again.
    static func die(of signal: Int32) -> Never {
        RawTerminal.restoreIfActive()
        SignalPipe.resetToDefault(signal)
        raise(signal)
        _exit(128 + signal)
    }
}
