import ArgumentParser
import Foundation

/// Ten thousand workers, in one task and spread over 100 tasks: from the
/// first `GET /tasks/NAME/start` (one per task, in a row) to the last
/// worker's start note, and from
/// `DELETE /tasks` until it has no child left, each against the baseline
/// doing the same in the same run (≤ 1.3 ×); the manager's anonymous memory
/// with them (≤ 6 MiB + 2 KiB per worker); `GET /tasks/NAME` of the
/// 10 000-worker task (p50 ≤ 1 ms), and of a 10-worker task for comparison
/// (kept counts: the same cost).
struct TenKBench: Workload {
    static let name = "tenk"
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "10 000 workers in 1 and in 100 tasks: spawn and stop all (≤ 1.3 × baseline), memory, status p50.")

    @Option(help: "Workers in all.") var workers = 10_000
    @Option(help: "Tasks of the spread layout.") var tasks = 100
    @Option(help: "Status requests timed.") var requests = 500
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        var figures: [Figure] = []
        var details: [String: Any] = ["workers": workers, "tasks": tasks]
        let small = try statusLatency(of: try ManagedPool(workload: Self.name + "-10", cardinality: 10, autostart: true), count: 10)
        for layout in [1, tasks] {
            progress("== tenk: baseline, \(workers) workers")
            let (baseSpawn, baseStop) = try baselineRun()
            progress("== tenk: wpm, \(workers) workers in \(layout) task(s)")
            let run = try managerRun(tasks: layout)
            let label = layout == 1 ? "1 task" : "\(layout) tasks"
            figures += [
                Figure(
                    workload: Self.name, name: "\(workers) workers (\(label)), start to all running", value: run.spawn,
                    unit: "ms", baseline: baseSpawn, target: "≤ 1.3 × baseline", met: run.spawn <= 1.3 * baseSpawn),
                Figure(
                    workload: Self.name, name: "\(workers) workers (\(label)), stop request to all reaped", value: run.stop,
                    unit: "ms", baseline: baseStop, target: "≤ 1.3 × baseline", met: run.stop <= 1.3 * baseStop),
            ]
            let limit = 6 * 1024 + 2 * Double(workers)
            figures.append(
                Figure(
                    workload: Self.name, name: "anonymous memory, \(workers) workers (\(label))",
                    value: Double(run.memory.anonymousKiB) / 1024, unit: "MiB",
                    target: String(format: "≤ 6 MiB + 2 KiB/worker (%.1f MiB)", limit / 1024),
                    met: Double(run.memory.anonymousKiB) <= limit))
            if let p50 = run.statusP50 {
                figures.append(
                    Figure(
                        workload: Self.name, name: "GET /tasks/bench p50, \(workers) workers (against 10 workers)",
                        value: p50, unit: "ms", baseline: small, target: "≤ 1 ms", met: p50 <= 1))
            }
            details["\(layout)_tasks"] = ["memory": run.memory.json, "spawn_ms": run.spawn, "stop_ms": run.stop]
            details["\(layout)_tasks_baseline"] = ["spawn_ms": baseSpawn, "stop_ms": baseStop]
        }
        details["status_p50_10_workers_ms"] = small
        return WorkloadResult(workload: Self.name, figures: figures, details: details)
    }

    private func statusLatency(of pool: ManagedPool, count: Int) throws -> Double {
        defer { pool.stop() }
        try pool.waitForActive(count, timeout: 300)
        return try timeStatus(pool)
    }

    private func timeStatus(_ pool: ManagedPool) throws -> Double {
        let path = "/tasks/\(ManagedPool.task)"
        for _ in 0..<50 { try pool.expect(200, "GET", path) }
        var latencies: [Double] = []
        for _ in 0..<requests {
            let start = monotonicNanos()
            try pool.expect(200, "GET", path)
            latencies.append(milliseconds(start, monotonicNanos()))
        }
        return median(latencies)
    }

    private func managerRun(tasks: Int) throws
        -> (spawn: Double, stop: Double, memory: ProcessStats.Memory, statusP50: Double?)
    {
        let pool = try ManagedPool(
            workload: Self.name, cardinality: workers / tasks, autostart: false, tasks: tasks)
        defer { pool.stop() }
        let start = monotonicNanos()
        for name in pool.taskNames { try pool.expect(200, "GET", "/tasks/\(name)/start") }
        let last = try pool.workers.waitForStarts(workers / tasks * tasks, timeout: 300)
        let spawn = milliseconds(start, last)
        let deadline = Date().addingTimeInterval(300)
        while ProcessStats.childCount(of: pool.pid) < workers / tasks * tasks {
            guard Date() < deadline else { throw BenchError("the manager never had all its workers") }
            usleep(50_000)
        }
        // A few requests of each kind, so the API's buffers exist.
        for _ in 0..<5 { _ = try pool.status() }
        usleep(1_000_000)
        let memory = ProcessStats.memory(of: pool.pid)
        let p50 = tasks == 1 ? try timeStatus(pool) : nil
        let stopStart = monotonicNanos()
        try pool.expect(200, "DELETE", "/tasks")
        let stopBy = Date().addingTimeInterval(300)
        while ProcessStats.childCount(of: pool.pid) > 0 {
            guard Date() < stopBy else { throw BenchError("workers still there 300 s after DELETE /tasks") }
            usleep(500)
        }
        return (spawn, milliseconds(stopStart, monotonicNanos()), memory, p50)
    }

    private func baselineRun() throws -> (spawn: Double, stop: Double) {
        let baseline = try Baseline(workload: Self.name, count: workers)
        defer { baseline.stop() }
        let (first, _) = try baseline.spawned()
        let last = try baseline.workers.waitForStarts(workers, timeout: 300)
        let (sent, reaped) = try baseline.stopAll()
        return (milliseconds(first, last), milliseconds(sent, reaped))
    }
}
