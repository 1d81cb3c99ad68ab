import ControlAPI
import FoundationEssentials
import Synchronization

@testable import Supervisor

/// A stand-in for the `Supervisor` actor behind the routes: tasks are rows
/// of a table, every call is recorded, nothing runs.
final class FakeSupervisor: SupervisorControl {
    struct Task: Sendable {
        var running: Bool
        var cardinality: Int
        var workers: [Int32] = []
    }

    let taskNames: [String]
    let maxCardinality: Int
    let events = EventBus()
    let recentOutput = RecentOutput()
    private let tasks: Mutex<[String: Task]>
    /// Every call that changes something, in order (`start Alpha`, `set Alpha 3` ...).
    let calls = Mutex<[String]>([])
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    /// What `answers(within:)` says: nil, the supervisor did not answer.
    let answer: Duration?

    init(_ tasks: [String: Task], maxCardinality: Int = 20, answer: Duration? = .milliseconds(1)) {
        self.taskNames = tasks.keys.sorted()
        self.maxCardinality = maxCardinality
        self.answer = answer
        self.tasks = Mutex(tasks)
    }

    var recorded: [String] { calls.withLock { $0 } }

    private func task(_ name: String) throws(ControlError) -> Task {
        guard let task = tasks.withLock({ $0[name] }) else { throw .unknownTask(name) }
        return task
    }

    private func status(_ name: String, _ task: Task) -> TaskStatus {
        TaskStatus(
            name: name, running: task.running, activeWorkers: task.workers.count, cardinality: task.cardinality,
            deadWorkers: 0, stalledWorkers: 0, stoppingWorkers: 0, startedAt: task.running ? Self.epoch : nil,
            lastAliveAt: task.running ? Self.epoch : nil, exits: ExitCounts(), keepAlivesReceived: 0, keepAlivesDropped: [:])
    }

    func status(of name: String, withSettings: Bool) throws(ControlError) -> TaskStatus {
        status(name, try task(name))
    }

    func statusOfRunningTasks() -> [TaskStatus] {
        let all = tasks.withLock { $0 }
        return taskNames.compactMap { all[$0]!.running ? status($0, all[$0]!) : nil }
    }

    func workers(of name: String) throws(ControlError) -> [WorkerStatus] {
        let task = try task(name)
        guard task.running else { throw .notRunning(name) }
        return task.workers.map {
            WorkerStatus(
                task: name, pid: $0, startedAt: Self.epoch, lastAliveAt: Self.epoch, state: "running", keepAlives: 0,
                status: nil, job: nil, message: nil)
        }
    }

    func start(_ name: String) throws(ControlError) -> StartOutcome {
        let task = try task(name)
        calls.withLock { $0.append("start \(name)") }
        if task.running { return .alreadyRunning }
        tasks.withLock { $0[name]!.running = true }
        return .started
    }

    func stop(_ name: String) throws(ControlError) -> StopOutcome {
        let task = try task(name)
        calls.withLock { $0.append("stop \(name)") }
        if !task.running { return .notRunning }
        tasks.withLock { $0[name]!.running = false }
        return .stopped
    }

    func stopAll() -> [String] {
        taskNames.filter { (try? stop($0)) == .stopped }
    }

    func setCardinality(_ name: String, to cardinality: Int) throws(ControlError) {
        _ = try task(name)
        guard (0...maxCardinality).contains(cardinality) else { throw .cardinalityOutOfRange(cardinality, max: maxCardinality) }
        calls.withLock { $0.append("set \(name) \(cardinality)") }
        tasks.withLock { $0[name]!.cardinality = cardinality }
    }

    func restart(_ name: String, pace: RolloutPaceOverride) throws(ControlError) -> RestartOutcome {
        let task = try task(name)
        guard task.running else { throw .notRunning(name) }
        calls.withLock { $0.append("restart \(name) \(pace.maxSurge.map(String.init) ?? "-") \(pace.maxUnavailable.map(String.init) ?? "-")") }
        return .started
    }

    func restartAll(pace: RolloutPaceOverride) -> [String] {
        let names = statusOfRunningTasks().map(\.name)
        calls.withLock { $0.append("restart all") }
        return names
    }

    func signal(_ name: String, signal: Int32) throws(ControlError) -> [Int32] {
        let task = try task(name)
        guard task.running else { throw .notRunning(name) }
        calls.withLock { $0.append("signal \(name) \(signal)") }
        return task.workers
    }

    func startAll() -> [String] {
        taskNames.filter { (try? start($0)) == .started }
    }

    func pause(_ name: String) throws(ControlError) -> PoolStateMachine.PauseOutcome {
        let task = try task(name)
        guard task.running else { throw .notRunning(name) }
        calls.withLock { $0.append("pause \(name)") }
        return .paused
    }

    func resume(_ name: String) throws(ControlError) -> PoolStateMachine.ResumeOutcome {
        _ = try task(name)
        calls.withLock { $0.append("resume \(name)") }
        return .resumed
    }

    func reload() -> ReloadReport { ReloadReport(tasks: [], needsRestart: [], warnings: []) }
    func reloadPreview() -> ReloadReport { ReloadReport(tasks: [], needsRestart: [], warnings: []) }
    func refreshMetrics() {}
    func answers(within limit: Duration) -> Duration? { answer }
    func readiness(only: [String]?) -> ReadinessReport { ReadinessReport(phase: .running, tasks: []) }
}
