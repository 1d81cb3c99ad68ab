import CoreMetrics
import Synchronization

/// The gauges behind `/readyz`, set from the pools when `/metrics` is
/// scraped: what the Prometheus rules in deploy/prometheus alert on.
final class HealthMetrics: Sendable {
    enum Name {
        static let minReady = "wpm_task_min_ready"
        static let backoff = "wpm_task_backoff_seconds"
        static let taskReady = "wpm_task_ready"
        static let ready = "wpm_ready"
    }

    private struct PerTask {
        let minReady: Gauge
        let backoff: Gauge
        let ready: Gauge
    }

    private let factory: any MetricsFactory
    /// Per task; a task a reload adds gets its series at the next update.
    private let tasks: Mutex<[String: PerTask]>
    private let ready: Gauge

    init(taskNames: [String], factory: any MetricsFactory) {
        self.factory = factory
        tasks = Mutex(Dictionary(uniqueKeysWithValues: taskNames.map { ($0, Self.perTask($0, factory: factory)) }))
        ready = Gauge(label: Name.ready, factory: factory)
    }

    private static func perTask(_ task: String, factory: any MetricsFactory) -> PerTask {
        let label = [("task", task)]
        return PerTask(
            minReady: Gauge(label: Name.minReady, dimensions: label, factory: factory),
            backoff: Gauge(label: Name.backoff, dimensions: label, factory: factory),
            ready: Gauge(label: Name.taskReady, dimensions: label, factory: factory))
    }

    func update(_ report: ReadinessReport, allTasks: [TaskReadiness]) {
        ready.record(report.ready ? 1 : 0)
        for task in allTasks {
            let gauges = tasks.withLock { tasks in
                if let existing = tasks[task.name] { return existing }
                let added = Self.perTask(task.name, factory: factory)
                tasks[task.name] = added
                return added
            }
            gauges.minReady.record(task.minReady)
            gauges.backoff.record(task.backoffSeconds ?? 0)
            gauges.ready.record(task.running && task.ready ? 1 : 0)
        }
    }
}

extension Supervisor {
    /// Sets the readiness gauges (called when `/metrics` is scraped).
    func refreshHealthMetrics() {
        let all = readiness(only: taskNames)
        healthMetrics.update(readiness(), allTasks: all.tasks ?? [])
    }
}
