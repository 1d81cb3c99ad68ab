/// Where the supervisor is in its life. It only moves forward: starting,
/// running (the autotasks have started), stopping, stopped; a shutdown may
/// come before the autotasks start.
public enum SupervisorLifecycle: Sendable, Equatable {
    /// Tasks may be started by hand; the autotasks have not started.
    case starting
    /// The autotasks have started (`startAutotasks`, once).
    case running
    /// Every task is being stopped; what is left is killed at `forceAt`
    /// (`force_timeout`). `signals`: the shutdown signals received so far
    /// (0 when the service group began the shutdown; a second one kills
    /// every worker at once).
    case stopping(forceAt: ContinuousClock.Instant, signals: Int)
    /// Every worker is gone.
    case stopped

    /// Stopping or stopped: no task starts, nothing is reloaded or saved.
    public var isShuttingDown: Bool {
        switch self {
        case .starting, .running: false
        case .stopping, .stopped: true
        }
    }

    /// Shutdown signals received while stopping.
    var shutdownSignals: Int {
        if case .stopping(_, let signals) = self { return signals }
        return 0
    }

    /// Counts one more shutdown signal (only while stopping).
    mutating func countShutdownSignal() {
        if case .stopping(let forceAt, let signals) = self { self = .stopping(forceAt: forceAt, signals: signals + 1) }
    }
}

extension Supervisor {
    /// Whether the shutdown has begun (see `SupervisorLifecycle`).
    var shutdownStarted: Bool { lifecycle.isShuttingDown }

    /// When workers still running are killed, once the shutdown has begun.
    var forceDeadline: ContinuousClock.Instant? {
        if case .stopping(let forceAt, _) = lifecycle { return forceAt }
        return nil
    }
}
