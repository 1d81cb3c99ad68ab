import FoundationEssentials
import Supervisor

// The JSON forms of the core's status values, with the API's field names
// (openapi.yaml): they live here, not in the core. Fields that are nil are
// left out; `Reply.encoder` sorts the keys and writes the times.

/// A task's status: `GET /tasks/NAME` (with `settings`) and each of `GET /tasks`.
struct TaskStatusJSON: Encodable {
    let status: TaskStatus

    init(_ status: TaskStatus) { self.status = status }

    enum Key: String, CodingKey {
        case name, running, cardinality, exits, rollout, paused, settings
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
        case keepAlivesReceived = "keepalives_received"
        case keepAlivesDropped = "keepalives_dropped"
        case outputLinesDropped = "output_lines_dropped"
        case quickFailures = "quick_failures"
        case backoffReason = "backoff_reason"
    }

    func encode(to encoder: any Encoder) throws {
        let s = status
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(s.name, forKey: .name)
        try c.encode(s.running, forKey: .running)
        try c.encode(s.activeWorkers, forKey: .activeWorkers)
        try c.encode(s.readyWorkers, forKey: .readyWorkers)
        try c.encode(s.cardinality, forKey: .cardinality)
        try c.encode(s.deadWorkers, forKey: .deadWorkers)
        try c.encode(s.stalledWorkers, forKey: .stalledWorkers)
        try c.encode(s.stoppingWorkers, forKey: .stoppingWorkers)
        try c.encodeIfPresent(s.drainingWorkers, forKey: .drainingWorkers)
        try c.encodeIfPresent(s.startedAt, forKey: .startedAt)
        try c.encodeIfPresent(s.lastAliveAt, forKey: .lastAliveAt)
        try c.encodeIfPresent(s.lastSpawnError, forKey: .lastSpawnError)
        try c.encodeIfPresent(s.lastSpawnErrorAt, forKey: .lastSpawnErrorAt)
        try c.encodeIfPresent(s.lastExit, forKey: .lastExit)
        try c.encodeIfPresent(s.nextSpawnAt, forKey: .nextSpawnAt)
        try c.encode(ExitCountsJSON(counts: s.exits), forKey: .exits)
        try c.encode(s.keepAlivesReceived, forKey: .keepAlivesReceived)
        try c.encode(s.keepAlivesDropped, forKey: .keepAlivesDropped)
        try c.encode(s.outputLinesDropped, forKey: .outputLinesDropped)
        try c.encode(s.quickFailures, forKey: .quickFailures)
        try c.encodeIfPresent(s.backoffReason, forKey: .backoffReason)
        try c.encodeIfPresent(s.rollout.map(RolloutStatusJSON.init), forKey: .rollout)
        try c.encodeIfPresent(s.paused, forKey: .paused)
        try c.encodeIfPresent(s.settings, forKey: .settings)
    }
}

/// How the workers of a run ended (`exits` of a task's status).
struct ExitCountsJSON: Encodable {
    let counts: ExitCounts

    enum Key: String, CodingKey {
        case clean, crashed, signaled, stalled, recycled
        case startupTimeout = "startup_timeout"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(counts.clean, forKey: .clean)
        try c.encode(counts.crashed, forKey: .crashed)
        try c.encode(counts.signaled, forKey: .signaled)
        try c.encode(counts.stalled, forKey: .stalled)
        try c.encode(counts.startupTimeout, forKey: .startupTimeout)
        try c.encode(counts.recycled, forKey: .recycled)
    }
}

/// A rolling restart under way, or the last one that failed (`rollout`).
struct RolloutStatusJSON: Encodable {
    let rollout: RolloutStatus

    init(_ rollout: RolloutStatus) { self.rollout = rollout }

    enum Key: String, CodingKey { case state, replaced, total, reason }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(rollout.state, forKey: .state)
        try c.encodeIfPresent(rollout.replaced, forKey: .replaced)
        try c.encodeIfPresent(rollout.total, forKey: .total)
        try c.encodeIfPresent(rollout.reason, forKey: .reason)
    }
}

/// One worker of `GET /tasks/NAME/list`.
struct WorkerStatusJSON: Encodable {
    let worker: WorkerStatus

    enum Key: String, CodingKey {
        case task, pid, state, ready, status, job, message
        case stopReason = "stop_reason"
        case cpuSeconds = "cpu_seconds"
        case rssBytes = "rss_bytes"
        case startedAt = "started_at"
        case lastAliveAt = "last_alive_at"
        case keepAlives = "keepalives"
    }

    func encode(to encoder: any Encoder) throws {
        let w = worker
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(w.task, forKey: .task)
        try c.encode(w.pid, forKey: .pid)
        try c.encode(w.startedAt, forKey: .startedAt)
        try c.encode(w.lastAliveAt, forKey: .lastAliveAt)
        try c.encode(w.state, forKey: .state)
        try c.encodeIfPresent(w.stopReason, forKey: .stopReason)
        try c.encode(w.ready, forKey: .ready)
        try c.encode(w.keepAlives, forKey: .keepAlives)
        try c.encodeIfPresent(w.status, forKey: .status)
        try c.encodeIfPresent(w.job, forKey: .job)
        try c.encodeIfPresent(w.message, forKey: .message)
        try c.encodeIfPresent(w.cpuSeconds, forKey: .cpuSeconds)
        try c.encodeIfPresent(w.rssBytes, forKey: .rssBytes)
    }
}

/// `GET /tasks`.
struct TaskList: Encodable {
    let tasks: [TaskStatusJSON]

    init(tasks: [TaskStatus]) { self.tasks = tasks.map(TaskStatusJSON.init) }
}

/// `GET /tasks/NAME/list`.
struct WorkerList: Encodable {
    let workers: [WorkerStatusJSON]

    init(workers: [WorkerStatus]) { self.workers = workers.map(WorkerStatusJSON.init) }
}
