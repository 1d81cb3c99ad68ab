import FoundationEssentials
import Glibc

/// One lifecycle change of a task or a worker, as subscribers of
/// `Supervisor.events` (and `GET /events`) see it.
public struct SupervisorEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: Sendable, Equatable {
        /// The task was started with this many workers wanted.
        case taskStarted(cardinality: Int)
        /// The task was stopped: its workers are being stopped.
        case taskStopped
        /// The wanted number of workers was set (also on a stopped task).
        case cardinalityChanged(from: Int, to: Int)
        /// A worker process was started.
        case workerSpawned(pid: pid_t)
        /// A worker could not be started.
        case spawnFailed(error: String)
        /// A worker became ready: its first valid keep-alive arrived (with
        /// `ready_on: "status"`, the first that says `ready` or `working`).
        case workerReady(pid: pid_t)
        /// A worker was not ready within `startup_timeout`: it is being stopped.
        case workerStartupTimeout(pid: pid_t, afterMS: Int)
        /// No keep-alive came for `stall_timeout`: the worker is being stopped.
        case workerStalled(pid: pid_t, silenceMS: Int)
        /// A worker process ended (reaped), and how.
        case workerExited(pid: pid_t, status: ExitStatus, reason: ExitCounts.Kind)
        /// SIGKILL was sent to a worker's process group.
        case workerKilled(pid: pid_t)
        /// The pool chose this worker to stop (a scale-down, recycling) and
        /// why; `draining`: its `drain_signal` was sent, the stop signal follows.
        case workerStopping(pid: pid_t, reason: String, draining: Bool)
        /// Spawns of the task are held back until `until` (after a failed
        /// spawn, or a worker that died younger than the respawn interval).
        case backoff(until: Date, delayMS: Int, reason: BackoffReason)
        /// A rolling restart began.
        case rolloutStarted(maxSurge: Int, maxUnavailable: Int, cardinality: Int)
        /// `replaced` of `total` workers are new and ready.
        case rolloutProgress(replaced: Int, total: Int)
        /// Every worker was replaced.
        case rolloutFinished(replaced: Int, durationMS: Int)
        /// The rollout halted (a new worker failed, or the task was stopped);
        /// the old workers left keep running.
        case rolloutFailed(reason: String, replaced: Int, total: Int)
        /// This subscriber was too slow: `count` events before this one were
        /// not delivered to it (a subscriber-local event, never published).
        case eventsLost(count: Int)
        /// Nothing happened for a while: a subscriber-local marker that lets
        /// a stream show it is alive (and notice a client that went away).
        case heartbeat
    }

    /// Why spawns are held back.
    public enum BackoffReason: String, Sendable, Equatable {
        case spawnFailed = "spawn_failed"
        case quickExit = "quick_exit"
    }

    /// Position in the stream of every published event, from 1; a lost-events
    /// notice carries the number of the event it precedes.
    public internal(set) var sequence: UInt64 = 0
    public let time: Date
    /// The task; nil only for `eventsLost`.
    public let task: String?
    public let kind: Kind

    public init(time: Date = Date(), task: String?, kind: Kind) {
        self.time = time
        self.task = task
        self.kind = kind
    }

    /// The event's name on the wire (`task_started`, `worker_exited`, ...).
    public var type: String {
        switch kind {
        case .taskStarted: "task_started"
        case .taskStopped: "task_stopped"
        case .cardinalityChanged: "cardinality_changed"
        case .workerSpawned: "worker_spawned"
        case .spawnFailed: "spawn_failed"
        case .workerReady: "worker_ready"
        case .workerStalled: "worker_stalled"
        case .workerStartupTimeout: "worker_startup_timeout"
        case .workerExited: "worker_exited"
        case .workerKilled: "worker_killed"
        case .workerStopping: "worker_stopping"
        case .backoff: "backoff"
        case .rolloutStarted: "rollout_started"
        case .rolloutProgress: "rollout_progress"
        case .rolloutFinished: "rollout_finished"
        case .rolloutFailed: "rollout_failed"
        case .eventsLost: "events_lost"
        case .heartbeat: "heartbeat"
        }
    }

    /// The worker the event is about, if it is about one.
    public var pid: pid_t? {
        switch kind {
        case .workerSpawned(let pid), .workerReady(let pid), .workerStalled(let pid, _), .workerExited(let pid, _, _),
            .workerKilled(let pid), .workerStartupTimeout(let pid, _), .workerStopping(let pid, _, _):
            pid
        default:
            nil
        }
    }
}

extension ExitCounts.Kind {
    /// The name of the exit reason in events and metrics.
    public var name: String {
        switch self {
        case .clean: "clean"
        case .crashed: "crashed"
        case .signaled: "signaled"
        case .stalled: "stalled"
        case .startupTimeout: "startup_timeout"
        case .recycled: "recycled"
        }
    }

    public static let all: [ExitCounts.Kind] = [.clean, .crashed, .signaled, .stalled, .startupTimeout, .recycled]
}
