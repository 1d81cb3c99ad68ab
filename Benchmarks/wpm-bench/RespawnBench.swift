import ArgumentParser
import Foundation

/// SIGKILL one of N workers; the time until its replacement runs (the new
/// worker's own note of its start). Victims are older than a second, so the
/// manager's quick-death restart hold-off does not apply.
struct RespawnBench: Workload {
    static let name = "respawn"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "SIGKILL one of 100 workers: time to its replacement (p50 ≤ 2 ms, p99 ≤ 20 ms).")

    @Option(help: "Workers in the pool.") var workers = 100
    @Option(help: "Workers killed, one after the other.") var repetitions = 50
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        let base: [Double]
        do {
            let baseline = try Baseline(workload: Self.name, count: workers)
            defer { baseline.stop() }
            base = try latencies(baseline.workers)
        }
        let wpm: [Double]
        do {
            let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: true)
            defer { pool.stop() }
            wpm = try latencies(pool.workers)
        }
        let (w, b) = (wpm.sorted(), base.sorted())
        let p50 = percentile(w, 50), p99 = percentile(w, 99)
        return WorkloadResult(
            workload: Self.name,
            figures: [
                Figure(
                    workload: Self.name, name: "SIGKILL to replacement running, p50", value: p50, unit: "ms",
                    baseline: percentile(b, 50), target: "≤ 2 ms", met: p50 <= 2),
                Figure(
                    workload: Self.name, name: "SIGKILL to replacement running, p99", value: p99, unit: "ms",
                    baseline: percentile(b, 99), target: "≤ 20 ms", met: p99 <= 20),
            ],
            details: ["workers": workers, "repetitions": repetitions, "wpm_ms": wpm, "baseline_ms": base])
    }

    /// Kills old workers one by one; the delay of each replacement in ms.
    private func latencies(_ tracker: WorkerTracker) throws -> [Double] {
        _ = try tracker.waitForStarts(workers)
        var result: [Double] = []
        let giveUp = Date().addingTimeInterval(120)
        while result.count < repetitions {
            guard Date() < giveUp else { throw BenchError("only \(result.count) workers could be killed in 120 s") }
            tracker.update()
            // Only workers older than 1.2 s.
            let old = tracker.alive.filter { monotonicNanos() - $0.value > 1_200_000_000 }
            guard let victim = old.keys.randomElement() else {
                usleep(100_000)
                continue
            }
            let start = monotonicNanos()
            kill(victim, SIGKILL)
            tracker.forget(victim)
            let deadline = Date().addingTimeInterval(10)
            var replaced: Int64?
            while replaced == nil {
                replaced = tracker.update().first(where: \.start)?.ns
                if replaced == nil {
                    guard Date() < deadline else { throw BenchError("no replacement for pid \(victim) within 10 s") }
                    usleep(200)
                }
            }
            result.append(milliseconds(start, replaced!))
            usleep(20_000)
        }
        return result
    }
}
