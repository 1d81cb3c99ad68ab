import FoundationEssentials
import Glibc
import KeepAlive

/// A task's status as the API and the console show it (their JSON field
/// names are the API's: ControlAPI, `TaskStatusJSON`).
public struct TaskStatus: Sendable, Equatable {
    public var name: String
    public var running: Bool
    public var activeWorkers: Int
    /// Active workers that are ready (see `ReadyOn`).
    public var readyWorkers = 0
    public var cardinality: Int
    /// Workers of this run that ended, for any reason.
    public var deadWorkers: Int
    public var stalledWorkers: Int
    /// Workers that were asked to stop and have not exited yet.
    public var stoppingWorkers: Int
    /// Workers sent their `drain_signal`, waiting to get their stop signal
    /// (absent in the replies of a manager without drains).
    public var drainingWorkers: Int?
    public var startedAt: Date?
    /// Newest keep-alive of any worker since the start, or the start time when none came.
    public var lastAliveAt: Date?
    public var lastSpawnError: String?
    public var lastSpawnErrorAt: Date?
    public var lastExit: String?
    /// When the next spawn may happen, while spawns are being held back.
    public var nextSpawnAt: Date?
    /// How the workers of this run ended.
    public var exits: ExitCounts
    /// Valid keep-alives of this run.
    public var keepAlivesReceived: Int
    /// Messages naming this task that did not count, by reason (every reason listed).
    public var keepAlivesDropped: [String: Int]
    /// Output lines of its workers dropped (a log destination too slow) or
    /// lost (a write failed) since the manager started.
    public var outputLinesDropped = 0
    /// Workers that failed quickly in a row (see `RestartPolicy`).
    public var quickFailures = 0
    /// While spawns wait for the restart backoff: why (the last quick
    /// failure: an exit status or a spawn error). `nextSpawnAt` says until when.
    public var backoffReason: String?
    /// The rolling restart under way, or the last one that failed.
    public var rollout: RolloutStatus?
    /// True while the task is paused (absent otherwise).
    public var paused: Bool?
    /// The task's effective settings (only in `GET /tasks/NAME`).
    public var settings: TaskSettings?

}

/// A task's rolling restart as status shows it.
public struct RolloutStatus: Sendable, Equatable {
    /// `running` or `failed`.
    public var state: String
    /// New workers ready, and how many are wanted (while running).
    public var replaced: Int?
    public var total: Int?
    /// Why it halted (when failed).
    public var reason: String?

    public init(_ state: RolloutState) {
        switch state {
        case .running(let replaced, let total):
            self.state = "running"
            self.replaced = replaced
            self.total = total
        case .failed(let reason):
            self.state = "failed"
            self.reason = reason
        }
    }
}

/// One worker as `/tasks/NAME/list` shows it.
public struct WorkerStatus: Sendable, Equatable {
    public var task: String
    public var pid: Int32
    public var startedAt: Date
    public var lastAliveAt: Date
    /// `running`, `draining` (sent its `drain_signal`), or `stopping` while it is being stopped.
    public var state: String
    /// Why the pool chose to stop it (a scale-down), while it stops.
    public var stopReason: String?
    /// Whether it is ready (see `ReadyOn`); a stopping worker keeps the value it had.
    public var ready = false
    /// Valid keep-alives received from it; nil fields were never sent.
    public var keepAlives: Int
    public var status: String?
    public var job: String?
    public var message: String?
    /// CPU time and resident memory of its process group (JSON only, read
    /// from /proc by `withUsage`; nil: not read, or the process is gone).
    public var cpuSeconds: Double?
    public var rssBytes: Int?

}

extension PoolStateMachine {
    /// Every `GET /tasks/NAME` comes here: it reads counts the pool keeps
    /// (`activeWorkers`, `readyWorkers`, `drainingCount`, `newestAliveAt`) and never walks
    /// the workers, so it costs the same for 10 and for 10 000 of them.
    func status(now: Moment) -> TaskStatus {
        let active = activeWorkers
        let ready = readyWorkers
        let draining = drainingCount
        let stopping = workers.count - activeWorkers - draining
        let newestBeat = newestAliveAt
        let wait = spawnNotBefore.map { now.instant.duration(to: $0) }
        var status = TaskStatus(
            name: name, running: phase == .running, activeWorkers: active, cardinality: cardinality,
            deadWorkers: deadWorkers, stalledWorkers: stalledWorkers, stoppingWorkers: stopping,
            startedAt: startedAt?.date, lastAliveAt: phase == .running ? (newestBeat ?? startedAt?.date) : nil,
            lastSpawnError: lastSpawnError?.message, lastSpawnErrorAt: lastSpawnError?.at,
            lastExit: lastExit.map { $0.status.description },
            nextSpawnAt: wait.flatMap { $0 > .zero ? now.advanced(by: $0).date : nil },
            exits: exits, keepAlivesReceived: keepAlivesReceived,
            keepAlivesDropped: Dictionary(
                uniqueKeysWithValues: KeepAliveDrop.allCases.filter { $0 != .unknownTask && $0 != .overload }
                    .map { ($0.rawValue, drops[$0] ?? 0) }))
        status.quickFailures = quickFailures
        status.readyWorkers = ready
        status.drainingWorkers = draining
        status.rollout = rolloutState.map(RolloutStatus.init)
        if isPaused { status.paused = true }
        if status.nextSpawnAt != nil, phase == .running { status.backoffReason = lastFailure?.reason }
        return status
    }

    /// Every worker, by pid (the pids are sorted, not the records or the
    /// statuses: they are large to move, and walking the dictionary's
    /// values moved each one).
    func workerStatuses() -> [WorkerStatus] {
        var statuses: [WorkerStatus] = []
        statuses.reserveCapacity(workers.count)
        for pid in workers.keys.sorted() {
            guard let worker = workers[pid] else { continue }
            var status = WorkerStatus(
                task: name, pid: pid, startedAt: worker.startedAt.date,
                lastAliveAt: worker.lastAliveAt ?? worker.startedAt.date, state: Self.stateName(worker.state),
                keepAlives: worker.keepAlives, status: worker.reportedStatus?.rawValue, job: worker.job,
                message: worker.message)
            status.ready = worker.isReady
            status.stopReason = worker.stopReason
            statuses.append(status)
        }
        return statuses
    }

    static func stateName(_ state: WorkerRecord.State) -> String {
        switch state {
        case .running: "running"
        case .draining: "draining"
        case .terminating, .killed: "stopping"
        }
    }
}
