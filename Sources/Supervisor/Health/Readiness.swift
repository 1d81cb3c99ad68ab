import FoundationEssentials

/// One running task as `/readyz` judges it.
public struct TaskReadiness: Sendable, Equatable, Encodable {
    public var name: String
    public var ready: Bool
    public var running: Bool
    public var readyWorkers: Int
    /// The ready workers it needs now (its `min_ready` for its cardinality).
    public var minReady: Int
    public var cardinality: Int
    /// How long it has been in restart backoff, when it is.
    public var backoffSeconds: Double?
    /// Why it is not ready (empty when it is).
    public var reasons: [String]

    public init(
        name: String, ready: Bool, running: Bool, readyWorkers: Int, minReady: Int, cardinality: Int,
        backoffSeconds: Double? = nil, reasons: [String]
    ) {
        self.name = name
        self.ready = ready
        self.running = running
        self.readyWorkers = readyWorkers
        self.minReady = minReady
        self.cardinality = cardinality
        self.backoffSeconds = backoffSeconds
        self.reasons = reasons
    }

    enum CodingKeys: String, CodingKey {
        case name, ready, running, cardinality, reasons
        case readyWorkers = "ready_workers"
        case minReady = "min_ready"
        case backoffSeconds = "backoff_seconds"
    }
}

/// The manager's readiness: the verdict, counts, and each task's readiness
/// (`tasks`, which only a caller with the token gets to see).
public struct ReadinessReport: Sendable, Equatable, Encodable {
    /// Why the whole manager is not ready, before any task is judged.
    public enum Phase: String, Sendable, Equatable, Encodable {
        /// The autotasks have not been started yet.
        case starting
        case running
        case shuttingDown = "shutting_down"
    }

    public var ready: Bool
    public var phase: Phase
    public var tasksRunning: Int
    public var tasksReady: Int
    public var readyWorkers: Int
    public var minReady: Int
    /// Nil when the caller may not see task names.
    public var tasks: [TaskReadiness]?

    enum CodingKeys: String, CodingKey {
        case ready, phase, tasks
        case tasksRunning = "tasks_running"
        case tasksReady = "tasks_ready"
        case readyWorkers = "ready_workers"
        case minReady = "min_ready"
    }

    /// The same verdict and counts, without task names.
    public var anonymous: ReadinessReport {
        var copy = self
        copy.tasks = nil
        return copy
    }

    /// Judges `tasks`; the manager is ready when it is running and every one of them is.
    public init(phase: Phase, tasks: [TaskReadiness]) {
        self.phase = phase
        let running = tasks.filter(\.running)
        tasksRunning = running.count
        tasksReady = running.filter(\.ready).count
        readyWorkers = running.reduce(0) { $0 + $1.readyWorkers }
        minReady = running.reduce(0) { $0 + $1.minReady }
        ready = phase == .running && tasks.allSatisfy(\.ready)
        self.tasks = tasks
    }
}

extension Supervisor {
    /// Answers at once: `/healthz` calls it to see that the supervisor's loop runs.
    public func ping() {}

    /// What `/readyz` says: every running task (or only `only`, running or
    /// not), judged by its `min_ready` and `ready_grace`. Not ready before
    /// the autotasks were started and once a shutdown has begun.
    public func readiness(only: [String]? = nil) -> ReadinessReport {
        let now = ContinuousClock.now
        let judged = (only ?? taskNames).compactMap { name -> TaskReadiness? in
            guard let pool = pools[name], only != nil || pool.phase == .running else { return nil }
            return pool.readiness(now: now)
        }
        let phase: ReadinessReport.Phase
        switch lifecycle {
        case .starting: phase = .starting
        case .running: phase = .running
        case .stopping, .stopped: phase = .shuttingDown
        }
        return ReadinessReport(phase: phase, tasks: judged)
    }
}
