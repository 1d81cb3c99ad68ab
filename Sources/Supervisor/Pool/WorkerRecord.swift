import FoundationEssentials
import Glibc
import KeepAlive

/// What a pool knows of one of its worker processes.
public struct WorkerRecord: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Counted in the pool's size.
        case running
        /// SIGTERM sent to its group; SIGKILL at `killAt` unless it exits first.
        case terminating(killAt: ContinuousClock.Instant)
        /// SIGKILL sent to its group; waiting to reap it.
        case killed
        /// `drain_signal` sent: its stop signal follows when a keep-alive
        /// says `ready` or `stopping`, or at `stopAt` (`drain_timeout`).
        case draining(stopAt: ContinuousClock.Instant)
    }

    public let pid: pid_t
    /// Spawn order within the pool: scale-down stops the highest first.
    public let sequence: UInt64
    /// Which start of the task it belongs to (counters are per start).
    public let run: UInt64
    public let startedAt: Moment
    /// Wall-clock time of its last valid keep-alive, if any came.
    public var lastAliveAt: Date?
    /// Monotonic time of the same keep-alive: its stall deadline counts from here.
    public var lastAliveInstant: ContinuousClock.Instant?
    public var state: State
    /// What the worker last said about itself (extension fields).
    public var reportedStatus: KeepAliveMessage.Status?
    public var job: String?
    public var message: String?
    /// Valid keep-alives received from it.
    public var keepAlives = 0
    /// Stopped because it stalled.
    public var stalled = false
    /// When it became ready (see `ReadyOn`); nil while it starts.
    public var readyAt: ContinuousClock.Instant?
    /// Stopped because it was not ready within `startup_timeout`.
    public var missedStartup = false
    /// The pool's generation when it was spawned (see `Rollout`).
    public var generation: UInt64 = 0
    /// Time the manager lost (did not run) since its last keep-alive: its
    /// stall deadline is that much later. A keep-alive clears it.
    public var stallPushedBack: Duration = .zero
    /// Time the manager lost since it was spawned: its startup deadline is
    /// that much later.
    public var startupPushedBack: Duration = .zero
    /// Why it is being stopped, when the pool chose it (a scale-down).
    public var stopReason: String?
    /// When it is due for recycling (`max_lifetime`, jittered), if ever.
    public var lifetimeEndsAt: ContinuousClock.Instant?
    /// The limit it went past (`max_lifetime`, `max_memory`, `max_jobs`):
    /// it is replaced, then stopped. Nil while it is within its limits.
    public var recycleReason: String?
    /// Distinct `job` values it reported (kept up to `max_jobs`).
    public var jobsSeen: Set<String> = []

    public var isRunning: Bool { state == .running }
    public var isReady: Bool { readyAt != nil }

    /// Takes a valid keep-alive of this worker; returns whether it was the
    /// first, whether the worker became ready with it, and the run the
    /// worker belongs to.
    mutating func keptAlive(_ alive: KeepAliveMessage, readyOn: ReadyOn, now: Moment)
        -> (first: Bool, becameReady: Bool, run: UInt64)
    {
        lastAliveAt = now.date
        lastAliveInstant = now.instant
        stallPushedBack = .zero
        if let status = alive.status { reportedStatus = status }
        if let job = alive.job { self.job = job }
        if let text = alive.message { message = text }
        keepAlives += 1
        var becameReady = false
        if readyAt == nil, isRunning {
            switch readyOn {
            case .keepAlive: becameReady = true
            case .status: becameReady = alive.status == .ready || alive.status == .working
            }
            if becameReady { readyAt = now.instant }
        }
        return (keepAlives == 1, becameReady, run)
    }
}
