import FoundationEssentials
import Glibc

/// What one event given to a pool changed: the actions its owner performs,
/// in order, and the facts it logs, emits and counts after them. The owner
/// never reads the pool's state to learn what happened.
public struct PoolResult: Sendable, Equatable, ExpressibleByArrayLiteral, Sequence {
    public var actions: [PoolAction]
    public var reports: [PoolReport]

    public init(actions: [PoolAction] = [], reports: [PoolReport] = []) {
        self.actions = actions
        self.reports = reports
    }

    /// Actions and no facts (for tests and the simplest events).
    public init(arrayLiteral actions: PoolAction...) {
        self.init(actions: actions)
    }

    public var isEmpty: Bool { actions.isEmpty && reports.isEmpty }

    /// This result, then `other`'s actions and facts.
    public static func + (a: PoolResult, b: PoolResult) -> PoolResult {
        PoolResult(actions: a.actions + b.actions, reports: a.reports + b.reports)
    }

    /// Its actions, in order.
    public func makeIterator() -> IndexingIterator<[PoolAction]> { actions.makeIterator() }
}

/// Facts a pool reports besides its actions, returned with the event that
/// caused them (`PoolResult.reports`), in the order they happened.
public enum PoolReport: Sendable, Equatable {
    case rolloutStarted(Rollout.Pace, cardinality: Int)
    case rolloutProgress(replaced: Int, total: Int)
    case rolloutFinished(replaced: Int, duration: Duration)
    case rolloutFailed(reason: String, replaced: Int, total: Int)
    /// The pool chose `pid` to stop (a scale-down, recycling), for `reason`;
    /// `draining`: it got the `drain_signal` first.
    case stopChosen(pid: pid_t, reason: String, draining: Bool)
    /// Spawns are held back for `delay`, until `until` (the restart
    /// backoff), after a quick failure of this `reason`. Reported once per
    /// backoff, by the event after which the pool waits for it.
    case backoff(delay: Duration, until: Moment, reason: SupervisorEvent.BackoffReason)
}

/// How a worker of the pool ended, decided once (`ExitCounts.kind`), as
/// `exited` returns it.
public struct WorkerExit: Sendable, Equatable {
    public var pid: pid_t
    public var status: ExitStatus
    /// How it counts (clean, crashed, stalled ...): for the log, the event
    /// and the exit counters alike.
    public var kind: ExitCounts.Kind
    /// Its state when it was reaped: a stop deadline still ahead
    /// (`.terminating`) is when what is left of its process group is killed.
    public var state: WorkerRecord.State
    /// What the pool does about it.
    public var result: PoolResult

    /// The actions of `result`.
    public var actions: [PoolAction] { result.actions }
}
