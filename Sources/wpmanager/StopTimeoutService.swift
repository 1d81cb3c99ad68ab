import ServiceLifecycle
import Supervisor

/// Under systemd: while the workers are being stopped, `EXTEND_TIMEOUT_USEC`
/// every `interval`, each time the time left until `force_timeout` runs out
/// plus `margin` (for the SIGKILLs and the reaping), so that a
/// `TimeoutStopSec` shorter than a long drain does not cut it short. systemd
/// takes it only beyond the unit's own timeout, and a manager that hangs
/// stops sending it: the unit's SIGKILL then comes when the last one runs out.
struct StopTimeoutService: Service {
    static let interval: Duration = .seconds(1)
    static let margin: Duration = .seconds(5)

    let notifier: SystemdNotifier
    let supervisor: Supervisor
    private let stopping: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init(notifier: SystemdNotifier, supervisor: Supervisor) {
        self.notifier = notifier
        self.supervisor = supervisor
        (stopping, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The shutdown has begun (the first shutdown signal).
    func shutdownBegan() { continuation.yield() }

    /// Added before the supervisor's service, it is shut down after it: it
    /// extends the timeout for as long as workers are left.
    func run() async {
        await cancelWhenGracefulShutdown {
            for await _ in stopping {
                while !Task.isCancelled, let left = await supervisor.shutdownTimeLeft {
                    notifier.notify("EXTEND_TIMEOUT_USEC=\(Self.microseconds(left + Self.margin))")
                    try? await Task.sleep(for: Self.interval)
                }
                // Then it waits for the group's end: a service may not end first.
            }
        }
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    }
}
