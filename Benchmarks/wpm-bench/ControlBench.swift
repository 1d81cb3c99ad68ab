import ArgumentParser
import Foundation

/// `GET /tasks/NAME` with 1000 workers running: latency of single requests
/// on one kept-alive connection, and throughput under wrk.
struct ControlBench: Workload {
    static let name = "control"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "GET /tasks/NAME latency and wrk throughput, 1000 workers (p50 ≤ 1 ms, ≥ 10 000 req/s).")

    @Option(help: "Workers in the pool.") var workers = 1000
    @Option(help: "Requests timed one by one.") var requests = 2000
    @Option(help: "Seconds of wrk.") var seconds = 5
    @Option(help: "wrk connections.") var connections = 16
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: true)
        defer { pool.stop() }
        try pool.waitForActive(workers)
        let path = "/tasks/\(ManagedPool.task)"
        for _ in 0..<200 { try pool.expect(200, "GET", path) }
        var latencies: [Double] = []
        for _ in 0..<requests {
            let start = monotonicNanos()
            try pool.expect(200, "GET", path)
            latencies.append(milliseconds(start, monotonicNanos()))
        }
        latencies.sort()
        let p50 = percentile(latencies, 50), p99 = percentile(latencies, 99)
        var figures = [
            Figure(workload: Self.name, name: "GET \(path) latency, p50", value: p50, unit: "ms", target: "≤ 1 ms", met: p50 <= 1),
            Figure(workload: Self.name, name: "GET \(path) latency, p99", value: p99, unit: "ms"),
        ]
        var details: [String: Any] = ["workers": workers, "requests": requests, "p50_ms": p50, "p99_ms": p99]
        if let wrk = which("wrk") {
            let (rate, text) = try runWrk(wrk, url: "http://127.0.0.1:\(pool.port)\(path)", scratch: pool.scratch)
            details["wrk_output"] = text
            figures.append(
                Figure(
                    workload: Self.name, name: "GET \(path) throughput (wrk, \(connections) connections)",
                    value: rate, unit: "req/s", target: "≥ 10000 req/s", met: rate >= 10_000))
        } else {
            details["wrk_output"] = "wrk is not installed (scripts/bench.sh installs it)"
            figures.append(
                Figure(
                    workload: Self.name, name: "GET \(path) throughput (wrk missing: 1 connection)",
                    value: 1000 / (latencies.reduce(0, +) / Double(latencies.count)), unit: "req/s",
                    target: "≥ 10000 req/s (needs wrk)"))
        }
        return WorkloadResult(workload: Self.name, figures: figures, details: details)
    }

    private func runWrk(_ wrk: String, url: String, scratch: Scratch) throws -> (Double, String) {
        let out = scratch.path + "/wrk.out"
        try TrackedProcess(wrk, ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", url], output: out).wait()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
            let rate = Double(line.split(separator: " ").last ?? "")
        else { throw BenchError("no Requests/sec in wrk's output:\n\(text)") }
        if text.contains("Non-2xx") { throw BenchError("wrk got errors:\n\(text)") }
        return (rate, text)
    }
}
