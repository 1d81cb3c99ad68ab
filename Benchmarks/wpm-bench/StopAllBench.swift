import ArgumentParser
import Foundation

/// N workers that exit on SIGTERM: from `DELETE /tasks` until the manager
/// has reaped them all (it has no child left), against the baseline
/// signalling and reaping the same workers.
struct StopAllBench: Workload {
    static let name = "stopall"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "DELETE /tasks until 1000 workers are reaped (target ≤ 1.5 × baseline).")

    @Option(help: "Workers to stop.") var workers = 1000
    @Option(help: "Repetitions (the median is reported).") var repeats = 3
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        try medians("\(workers) workers, stop request to all reaped", workers: workers, repeats: repeats, baseline: baselineRun, manager: managerRun)
    }

    private func managerRun() throws -> Double {
        let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: true)
        defer { pool.stop() }
        _ = try pool.workers.waitForStarts(workers)
        try pool.waitForActive(workers)
        guard ProcessStats.childCount(of: pool.pid) == workers else {
            throw BenchError("the manager has \(ProcessStats.childCount(of: pool.pid)) children, not \(workers)")
        }
        let start = monotonicNanos()
        try pool.expect(200, "DELETE", "/tasks")
        let deadline = Date().addingTimeInterval(60)
        while ProcessStats.childCount(of: pool.pid) > 0 {
            guard Date() < deadline else { throw BenchError("workers still there 60 s after DELETE /tasks") }
            usleep(500)
        }
        return milliseconds(start, monotonicNanos())
    }

    private func baselineRun() throws -> Double {
        let baseline = try Baseline(workload: Self.name, count: workers)
        defer { baseline.stop() }
        _ = try baseline.workers.waitForStarts(workers)
        let (sent, reaped) = try baseline.stopAll()
        return milliseconds(sent, reaped)
    }
}
