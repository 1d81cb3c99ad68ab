import CoreMetrics
import FoundationEssentials
import Glibc
import KeepAlive
import Synchronization

/// The supervisor's metrics, made with the `MetricsFactory` it is given (no
/// global `MetricsSystem`): counters moved by events and keep-alives, the
/// stall detection lag, and gauges set from the pools when scraped. Every
/// series of every configured task exists from the start, at zero.
public final class SupervisorMetrics: Sendable {
    /// Metric names (Prometheus style: counters end in `_total`).
    public enum Name {
        public static let workers = "wpm_workers"
        /// Running workers that are ready (a subset of `wpm_workers{state="running"}`).
        public static let readyWorkers = "wpm_workers_ready"
        public static let cardinality = "wpm_task_cardinality"
        public static let running = "wpm_task_running"
        public static let spawns = "wpm_worker_spawns_total"
        public static let spawnFailures = "wpm_worker_spawn_failures_total"
        public static let exits = "wpm_worker_exits_total"
        public static let kills = "wpm_worker_kills_total"
        public static let backoffs = "wpm_backoffs_total"
        /// Rolling restarts that ended, by `result` (`finished`, `failed`).
        public static let rollouts = "wpm_rollouts_total"
        public static let keepAlivesReceived = "wpm_keepalives_received_total"
        public static let keepAlivesDropped = "wpm_keepalives_dropped_total"
        public static let stallLag = "wpm_stall_detection_lag_seconds"
        public static let eventsLost = "wpm_events_lost_total"
        public static let subscribers = "wpm_event_subscribers"
    }

    /// The states `wpm_workers` counts: counted in the pool, or being stopped.
    public static let workerStates = ["running", "stopping"]

    private struct PerTask {
        let spawns: CoreMetrics.Counter
        let spawnFailures: CoreMetrics.Counter
        let kills: CoreMetrics.Counter
        let backoffs: CoreMetrics.Counter
        let rollouts: [String: CoreMetrics.Counter]
        let received: CoreMetrics.Counter
        let exits: [String: CoreMetrics.Counter]
        let dropped: [KeepAliveDrop: CoreMetrics.Counter]
        let stallLag: CoreMetrics.Timer
        let workers: [String: Gauge]
        let ready: Gauge
        let cardinality: Gauge
        let running: Gauge
    }

    /// Per task; a reload adds tasks (series of a task removed stay).
    private let tasks: Mutex<[String: PerTask]>
    private let factory: any MetricsFactory
    /// Dropped messages that name no configured task.
    private let unattributed: [KeepAliveDrop: CoreMetrics.Counter]
    private let eventsLost: CoreMetrics.Counter
    private let subscribers: Gauge

    /// Per task, every reason but `unknown_task` and `overload` (messages
    /// shed before they were read name no task we know of); for the rest
    /// (task=""), every reason but `wrong_task`.
    private static func dropCounters(_ task: String, factory: any MetricsFactory) -> [KeepAliveDrop: CoreMetrics.Counter] {
        let excluded: Set<KeepAliveDrop> = task.isEmpty ? [.wrongTask] : [.unknownTask, .overload]
        return Dictionary(
            uniqueKeysWithValues: KeepAliveDrop.allCases.filter { !excluded.contains($0) }.map {
                ($0, CoreMetrics.Counter(label: Name.keepAlivesDropped, dimensions: [("task", task), ("reason", $0.rawValue)], factory: factory))
            })
    }

    private static func perTask(_ task: String, factory: any MetricsFactory) -> PerTask {
        let label = [("task", task)]
        return PerTask(
            spawns: CoreMetrics.Counter(label: Name.spawns, dimensions: label, factory: factory),
            spawnFailures: CoreMetrics.Counter(label: Name.spawnFailures, dimensions: label, factory: factory),
            kills: CoreMetrics.Counter(label: Name.kills, dimensions: label, factory: factory),
            backoffs: CoreMetrics.Counter(label: Name.backoffs, dimensions: label, factory: factory),
            rollouts: Dictionary(
                uniqueKeysWithValues: ["finished", "failed"].map {
                    ($0, CoreMetrics.Counter(label: Name.rollouts, dimensions: label + [("result", $0)], factory: factory))
                }),
            received: CoreMetrics.Counter(label: Name.keepAlivesReceived, dimensions: label, factory: factory),
            exits: Dictionary(
                uniqueKeysWithValues: ExitCounts.Kind.all.map {
                    ($0.name, CoreMetrics.Counter(label: Name.exits, dimensions: label + [("reason", $0.name)], factory: factory))
                }),
            dropped: dropCounters(task, factory: factory),
            stallLag: CoreMetrics.Timer(label: Name.stallLag, dimensions: label, factory: factory),
            workers: Dictionary(
                uniqueKeysWithValues: Self.workerStates.map {
                    ($0, Gauge(label: Name.workers, dimensions: label + [("state", $0)], factory: factory))
                }),
            ready: Gauge(label: Name.readyWorkers, dimensions: label, factory: factory),
            cardinality: Gauge(label: Name.cardinality, dimensions: label, factory: factory),
            running: Gauge(label: Name.running, dimensions: label, factory: factory))
    }

    public init(taskNames: [String], factory: any MetricsFactory) {
        self.factory = factory
        tasks = Mutex(Dictionary(uniqueKeysWithValues: taskNames.map { ($0, Self.perTask($0, factory: factory)) }))
        unattributed = Self.dropCounters("", factory: factory)
        eventsLost = CoreMetrics.Counter(label: Name.eventsLost, factory: factory)
        subscribers = Gauge(label: Name.subscribers, factory: factory)
    }

    /// Series for a task a reload added (at zero), unless it has them.
    func addTask(_ task: String) {
        tasks.withLock { tasks in
            if tasks[task] == nil { tasks[task] = Self.perTask(task, factory: factory) }
        }
    }

    private func task(_ name: String?) -> PerTask? {
        guard let name else { return nil }
        return tasks.withLock { $0[name] }
    }

    /// Moves the counters an event stands for.
    func record(_ event: SupervisorEvent) {
        guard let task = task(event.task) else { return }
        switch event.kind {
        case .workerSpawned: task.spawns.increment()
        case .spawnFailed: task.spawnFailures.increment()
        case .workerExited(_, _, let reason): task.exits[reason.name]?.increment()
        case .workerKilled: task.kills.increment()
        case .backoff: task.backoffs.increment()
        case .rolloutFinished: task.rollouts["finished"]?.increment()
        case .rolloutFailed: task.rollouts["failed"]?.increment()
        default: break
        }
    }

    func keepAliveReceived(task: String) {
        self.task(task)?.received.increment()
    }

    /// `count` messages were dropped; `task` is nil (or unknown) when they name no task.
    func keepAliveDropped(task: String?, reason: KeepAliveDrop, count: Int = 1) {
        if let counters = self.task(task) {
            counters.dropped[reason]?.increment(by: count)
        } else {
            unattributed[reason]?.increment(by: count)
        }
    }

    /// Time from a worker's stall deadline to the SIGTERM it got.
    func stallDetected(task: String, lag: Duration) {
        let (seconds, attoseconds) = max(lag, .zero).components
        self.task(task)?.stallLag.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func eventsLost(_ count: Int) {
        eventsLost.increment(by: count)
    }

    func eventSubscribers(_ count: Int) {
        subscribers.record(count)
    }

    /// Sets the gauges of `task` from its pool.
    func poolGauges(task: String, running: Int, stopping: Int, ready: Int, cardinality: Int, isRunning: Bool) {
        guard let gauges = self.task(task) else { return }
        gauges.ready.record(ready)
        gauges.workers["running"]?.record(running)
        gauges.workers["stopping"]?.record(stopping)
        gauges.cardinality.record(cardinality)
        gauges.running.record(isRunning ? 1 : 0)
    }
}
