import ArgumentParser
import Foundation

/// The manager's memory with 100 and then 1000 workers (not beating): RSS,
/// its anonymous part (smaps_rollup), and the growth per added worker;
/// the baseline's alongside.
struct MemoryBench: Workload {
    static let name = "memory"
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "Manager RSS and anonymous memory with 1000 workers, growth from 100 (RSS < 28.7 MiB, anon ≤ 6 MiB, ≤ 4 KiB/worker).")

    @Option(help: "Workers at first.") var from = 100
    @Option(help: "Workers then.") var to = 1000
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        let (small, large) = try managerRun()
        let baseSmall = try baselineRun(from)
        let baseLarge = try baselineRun(to)
        let added = Double(to - from)
        let mib = { (kib: Int) in Double(kib) / 1024 }
        let growth = Double(large.rssKiB - small.rssKiB) / added
        let anonGrowth = Double(large.anonymousKiB - small.anonymousKiB) / added
        let baseGrowth = Double(baseLarge.rssKiB - baseSmall.rssKiB) / added
        let name = Self.name
        return WorkloadResult(
            workload: name,
            figures: [
                Figure(
                    workload: name, name: "RSS, \(to) workers", value: mib(large.rssKiB), unit: "MiB",
                    baseline: mib(baseLarge.rssKiB), target: "< 28.7 MiB (supervisord)", met: mib(large.rssKiB) < 28.7),
                Figure(
                    workload: name, name: "anonymous memory, \(to) workers", value: mib(large.anonymousKiB), unit: "MiB",
                    baseline: mib(baseLarge.anonymousKiB), target: "≤ 6 MiB", met: mib(large.anonymousKiB) <= 6),
                Figure(
                    workload: name, name: "RSS growth per worker, \(from) → \(to)", value: growth, unit: "KiB",
                    baseline: baseGrowth, target: "≤ 4 KiB", met: growth <= 4, hasRatio: false),
                Figure(
                    workload: name, name: "anonymous growth per worker, \(from) → \(to)", value: anonGrowth, unit: "KiB"),
            ],
            details: [
                "wpm_\(from)": small.json, "wpm_\(to)": large.json, "baseline_\(from)": baseSmall.json,
                "baseline_\(to)": baseLarge.json,
            ])
    }

    private func managerRun() throws -> (ProcessStats.Memory, ProcessStats.Memory) {
        let pool = try ManagedPool(workload: Self.name, cardinality: from, autostart: true)
        defer { pool.stop() }
        func settled(_ count: Int) throws -> ProcessStats.Memory {
            try pool.waitForActive(count)
            // A few requests of each kind, so the API's buffers exist in both states.
            for _ in 0..<5 {
                _ = try pool.status()
                _ = try pool.http.json("/tasks/\(ManagedPool.task)/list")
            }
            usleep(1_000_000)
            return ProcessStats.memory(of: pool.pid)
        }
        let small = try settled(from)
        try pool.expect(200, "PUT", "/tasks/\(ManagedPool.task)/set/cardinality/\(to)")
        let large = try settled(to)
        return (small, large)
    }

    private func baselineRun(_ count: Int) throws -> ProcessStats.Memory {
        let baseline = try Baseline(workload: "\(Self.name)-\(count)", count: count)
        defer { baseline.stop() }
        _ = try baseline.workers.waitForStarts(count)
        usleep(200_000)
        return ProcessStats.memory(of: baseline.pid)
    }
}
