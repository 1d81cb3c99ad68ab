import Dispatch
import Glibc

/// Runs a command that lasts until Ctrl-C (`watch` in one-shot mode): SIGINT
/// cancels it, so it ends the normal way; SIGTERM and SIGHUP end the
/// process as they would have.
enum Interruptible {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        guard let signals = ConsoleSignals() else { return await body() }
        return await signals.cancellingOnInterrupt(
            Task { await body() }, watchingOn: DispatchQueue(label: "wpconsole.signals"))
    }
}
