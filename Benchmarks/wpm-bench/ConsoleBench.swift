import ArgumentParser
import Foundation

/// `wpconsole -host=127.0.0.1:PORT status`, one shot, from spawn to exit;
/// the baseline is curl fetching the same status (a C client doing the
/// same request), or /bin/true when curl is missing.
struct ConsoleBench: Workload {
    static let name = "console"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "wpconsole status one-shot, start to exit (p50 ≤ 30 ms).")

    @Option(help: "Workers in the pool.") var workers = 100
    @Option(help: "Runs timed.") var runs = 50
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: true)
        defer { pool.stop() }
        try pool.waitForActive(workers)
        let console = [binDirectory + "/wpconsole", "-host=127.0.0.1:\(pool.port)", "status"]
        let curl = which("curl").map { [$0, "-sf", "http://127.0.0.1:\(pool.port)/tasks"] }
        let reference = curl ?? ["/bin/true"]
        func times(_ argv: [String]) throws -> [Double] {
            for _ in 0..<3 { _ = try timedRun(argv) }
            return try (0..<runs).map { _ in
                let (ms, status) = try timedRun(argv)
                guard status == 0 else { throw BenchError("\(argv.joined(separator: " ")) exited with status \(status)") }
                return ms
            }.sorted()
        }
        let wpm = try times(console)
        let base = try times(reference)
        let p50 = percentile(wpm, 50)
        return WorkloadResult(
            workload: Self.name,
            figures: [
                Figure(
                    workload: Self.name, name: "wpconsole status, start to exit, p50", value: p50, unit: "ms",
                    baseline: percentile(base, 50), target: "≤ 30 ms", met: p50 <= 30)
            ],
            details: [
                "runs": runs, "wpm_ms": wpm, "baseline": reference.first!, "baseline_ms": base,
                "p90_ms": percentile(wpm, 90),
            ])
    }
}
