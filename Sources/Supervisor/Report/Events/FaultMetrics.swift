import CoreMetrics
import Synchronization

/// Counters of the faults the manager met and survived (README, "Faults"):
/// pauses of the manager, and the connections of keep-alive senders.
final class FaultMetrics: Sendable {
    enum Name {
        static let pauses = "wpm_manager_pauses_total"
        static let pausedSeconds = "wpm_manager_paused_seconds_total"
        static let connections = "wpm_keepalive_connections_total"
        static let escaped = "wpm_escaped_processes_stopped_total"
    }

    private let pauses: CoreMetrics.Counter
    private let pausedSeconds: FloatingPointCounter
    private let accepted: CoreMetrics.Counter
    private let closed: CoreMetrics.Counter
    private let refused: CoreMetrics.Counter
    /// Per task ("" for none known).
    private let escaped: [String: CoreMetrics.Counter]
    /// The connection counts already added to the counters.
    private let reported = Mutex(KeepAliveConnections())

    init(taskNames: [String], factory: any MetricsFactory) {
        escaped = Dictionary(
            uniqueKeysWithValues: ([""] + taskNames).map {
                ($0, CoreMetrics.Counter(label: Name.escaped, dimensions: [("task", $0)], factory: factory))
            })
        pauses = CoreMetrics.Counter(label: Name.pauses, factory: factory)
        pausedSeconds = FloatingPointCounter(label: Name.pausedSeconds, factory: factory)
        func connections(_ event: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: Name.connections, dimensions: [("event", event)], factory: factory)
        }
        accepted = connections("accepted")
        closed = connections("closed")
        refused = connections("refused")
    }

    func pause(lost: Duration) {
        pauses.increment()
        let (seconds, attoseconds) = lost.components
        pausedSeconds.increment(by: Double(seconds) + Double(attoseconds) / 1e18)
    }

    func escapedStopped(task: String?) {
        escaped[task ?? ""]?.increment()
    }

    /// Brings the connection counters up to `now` (the intake's own counts).
    func connections(_ now: KeepAliveConnections) {
        let before = reported.withLock { last in
            defer { last = now }
            return last
        }
        accepted.increment(by: max(0, now.accepted - before.accepted))
        closed.increment(by: max(0, now.closed - before.closed))
        refused.increment(by: max(0, now.refused - before.refused))
    }
}
