import FoundationEssentials
import Glibc
import KeepAlive

/// A task's status as the API and the console show it.
public struct TaskStatus: Sendable, Equatable, Codable {
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

    enum CodingKeys: String, CodingKey {
        case name, running, cardinality
        case activeWorkers = "active_workers"
        case readyWorkers = "ready_workers"
        case deadWorkers = "dead_workers"
        case stalledWorkers = "stalled_workers"
        case stoppingWorkers = "stopping_workers"
        case drainingWorkers = "draining_workers"
        case startedAt = "started_at"
        case lastAliveAt = "last_alive_at"
        case lastSpawnError = "last_spawn_error"
        case lastSpawnErrorAt = "last_spawn_error_at"
        case lastExit = "last_exit"
        case nextSpawnAt = "next_spawn_at"
        case exits
        case keepAlivesReceived = "keepalives_received"
        case keepAlivesDropped = "keepalives_dropped"
        case outputLinesDropped = "output_lines_dropped"
        case quickFailures = "quick_failures"
        case backoffReason = "backoff_reason"
        case rollout
        case paused
        case settings
    }
}

/// A task's rolling restart as status shows it.
public struct RolloutStatus: Sendable, Equatable, Codable {
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
public struct WorkerStatus: Sendable, Equatable, Codable {
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

    enum CodingKeys: String, CodingKey {
        case task, pid, state, ready, status, job, message
        case stopReason = "stop_reason"
        case cpuSeconds = "cpu_seconds"
        case rssBytes = "rss_bytes"
        case startedAt = "started_at"
        case lastAliveAt = "last_alive_at"
        case keepAlives = "keepalives"
    }
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

    func workerStatuses() -> [WorkerStatus] {
        workers.values.sorted { $0.pid < $1.pid }.map {
            var status = WorkerStatus(
                task: name, pid: $0.pid, startedAt: $0.startedAt.date,
                lastAliveAt: $0.lastAliveAt ?? $0.startedAt.date, state: Self.stateName($0.state),
                keepAlives: $0.keepAlives, status: $0.reportedStatus?.rawValue, job: $0.job, message: $0.message)
            status.ready = $0.isReady
            status.stopReason = $0.stopReason
            return status
        }
    }

    static func stateName(_ state: WorkerRecord.State) -> String {
        switch state {
        case .running: "running"
        case .draining: "draining"
        case .terminating, .killed: "stopping"
        }
    }
}
