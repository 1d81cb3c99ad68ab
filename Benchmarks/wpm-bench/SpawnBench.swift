import ArgumentParser
import Foundation

/// N workers from the start request to all of them running (each C worker
/// notes the moment it runs), against the baseline posix_spawning the same
/// workers.
struct SpawnBench: Workload {
    static let name = "spawn"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "Start of 1000 workers, request to all running (target ≤ 1.5 × baseline).")

    @Option(help: "Workers to start.") var workers = 1000
    @Option(help: "Repetitions (the median is reported).") var repeats = 3
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        try medians("\(workers) workers, start to all running", workers: workers, repeats: repeats, baseline: baselineRun, manager: managerRun)
    }

    private func managerRun() throws -> Double {
        let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: false)
        defer { pool.stop() }
        let start = monotonicNanos()
        try pool.expect(200, "GET", "/tasks/\(ManagedPool.task)/start")
        let last = try pool.workers.waitForStarts(workers)
        return milliseconds(start, last)
    }

    private func baselineRun() throws -> Double {
        let baseline = try Baseline(workload: Self.name, count: workers)
        defer { baseline.stop() }
        let (first, _) = try baseline.spawned()
        let last = try baseline.workers.waitForStarts(workers)
        return milliseconds(first, last)
    }
}
