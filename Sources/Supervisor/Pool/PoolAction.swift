import FoundationEssentials
import Glibc

/// What a pool asks its owner to do after an event.
public enum PoolAction: Sendable, Hashable {
    /// Start this many new workers, reporting each result back with
    /// `spawned`, or `spawnFailed` (which drops the rest of the request).
    case spawn(count: Int)
    /// Drop up to this many requested spawns that have not begun, reporting
    /// how many with `spawnsCancelled`.
    case cancelSpawns(count: Int)
    /// Send a signal to the worker's whole process group.
    case signal(pid: pid_t, WorkerSignal)
}

/// The signals the supervisor sends to workers.
public enum WorkerSignal: Sendable, Hashable {
    /// The task's stop signal (`stop_signal`, SIGTERM by default).
    case terminate
    case kill
    /// SIGSTOP (pause) and SIGCONT (resume, or before the stop signal of a paused worker).
    case freeze
    case thaw
    /// The task's `drain_signal` (the first phase of a two-phase stop).
    case drain

    public var number: Int32 {
        switch self {
        case .terminate: SIGTERM
        case .kill: SIGKILL
        case .freeze: SIGSTOP
        case .thaw: SIGCONT
        case .drain: SIGTERM
        }
    }
}

/// The answer to `start`.
public enum StartOutcome: Sendable, Equatable {
    case started
    case alreadyRunning
}

/// The answer to `stop`.
public enum StopOutcome: Sendable, Equatable {
    case stopped
    case notRunning
}
