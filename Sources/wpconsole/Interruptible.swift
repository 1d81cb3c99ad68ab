import Dispatch
import Glibc

/// Runs a command that lasts until Ctrl-C (`watch` in one-shot mode): SIGINT
/// cancels it, so it ends the normal way; SIGTERM and SIGHUP end the
/// process as they would have.
enum Interruptible {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        guard let signals = SignalPipe() else { return await body() }
        let command = Task { await body() }
        let source = DispatchSource.makeReadSource(
            fileDescriptor: signals.readFD, queue: DispatchQueue(label: "wpconsole.signals"))
        source.setEventHandler {
            for signal in signals.drain() {
                switch signal {
                case SIGINT: command.cancel()
                case SIGTERM, SIGHUP: SignalPipe.die(of: signal)
                default: break
                }
            }
        }
        source.resume()
        let value = await command.value
        source.cancel()
        return value
    }
}
