import CoreMetrics

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

    private let tasks: [String: PerTask]
    private let ready: Gauge

    init(taskNames: [String], factory: any MetricsFactory) {
        var tasks: [String: PerTask] = [:]
        for task in taskNames {
            let label = [("task", task)]
            tasks[task] = PerTask(
                minReady: Gauge(label: Name.minReady, dimensions: label, factory: factory),
                backoff: Gauge(label: Name.backoff, dimensions: label, factory: factory),
                ready: Gauge(label: Name.taskReady, dimensions: label, factory: factory))
        }
        self.tasks = tasks
        ready = Gauge(label: Name.ready, factory: factory)
    }

    func update(_ report: ReadinessReport, allTasks: [TaskReadiness]) {
        ready.record(report.ready ? 1 : 0)
        for task in allTasks {
            guard let gauges = tasks[task.name] else { continue }
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
