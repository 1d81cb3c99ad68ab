import ArgumentParser
import Foundation

/// The HTTP API with 1000 workers: `GET /tasks/NAME` latency of single
/// requests on one kept-alive connection, then throughput under wrk of
/// the cheapest route (`/healthz`), of the status (`/tasks/NAME`, kept
/// counts: ≥ 0.75 × `/healthz`) and of the worker list (`/tasks/NAME/list`,
/// ≥ 2000 req/s); all of it without and then with the access token.
struct ControlBench: Workload {
    static let name = "control"
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract:
            "GET /tasks/NAME latency, wrk throughput of /healthz, /tasks/NAME, /tasks/NAME/list; 1000 workers; without and with the token.")

    @Option(help: "Workers in the pool.") var workers = 1000
    @Option(help: "Requests timed one by one.") var requests = 2000
    @Option(help: "Seconds of wrk per route.") var seconds = 5
    @Option(help: "wrk connections.") var connections = 16
    @Flag(inversion: .prefixedNo, help: "Also measure with the access token on.") var token = true
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        var figures: [Figure] = []
        var details: [String: Any] = ["workers": workers, "requests": requests]
        for withToken in token ? [false, true] : [false] {
            let (f, d) = try measure(token: withToken ? "wpm-bench-token-\(UInt64.random(in: 1...UInt64.max))" : nil)
            figures += f
            details[withToken ? "with_token" : "without_token"] = d
        }
        return WorkloadResult(workload: Self.name, figures: figures, details: details)
    }

    private func measure(token: String?) throws -> ([Figure], [String: Any]) {
        let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: true, token: token)
        defer { pool.stop() }
        try pool.waitForActive(workers)
        let suffix = token == nil ? "" : ", token on"
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
            Figure(
                workload: Self.name, name: "GET \(path) latency, p50\(suffix)", value: p50, unit: "ms", target: "≤ 1 ms",
                met: p50 <= 1),
            Figure(workload: Self.name, name: "GET \(path) latency, p99\(suffix)", value: p99, unit: "ms"),
        ]
        var details: [String: Any] = ["p50_ms": p50, "p99_ms": p99]
        guard let wrk = which("wrk") else {
            details["wrk_output"] = "wrk is not installed (scripts/bench.sh installs it)"
            figures.append(
                Figure(
                    workload: Self.name, name: "GET \(path) throughput (wrk missing: 1 connection)\(suffix)",
                    value: 1000 / (latencies.reduce(0, +) / Double(latencies.count)), unit: "req/s",
                    target: "needs wrk"))
            return (figures, details)
        }
        var rates: [String: Double] = [:]
        for route in ["/healthz", path, path + "/list"] {
            let (rate, text) = try runWrk(wrk, url: "http://127.0.0.1:\(pool.port)\(route)", token: token, scratch: pool.scratch)
            rates[route] = rate
            details["wrk_output \(route)"] = text
        }
        let cheapest = rates["/healthz"]!, status = rates[path]!, list = rates[path + "/list"]!
        figures += [
            Figure(
                workload: Self.name, name: "GET /healthz throughput (wrk, \(connections) connections)\(suffix)",
                value: cheapest, unit: "req/s"),
            Figure(
                workload: Self.name, name: "GET \(path) throughput (wrk)\(suffix)", value: status, unit: "req/s",
                baseline: cheapest, target: "≥ 0.75 × /healthz", met: status >= 0.75 * cheapest),
            Figure(
                workload: Self.name, name: "GET \(path)/list throughput, \(workers) workers (wrk)\(suffix)", value: list,
                unit: "req/s", target: "≥ 2000 req/s", met: list >= 2000),
        ]
        return (figures, details)
    }

    private func runWrk(_ wrk: String, url: String, token: String?, scratch: Scratch) throws -> (Double, String) {
        let out = scratch.path + "/wrk.out"
        let header = token.map { ["-H", "Authorization: Bearer \($0)"] } ?? []
        try TrackedProcess(wrk, ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency"] + header + [url], output: out).wait()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
            let rate = Double(line.split(separator: " ").last ?? "")
        else { throw BenchError("no Requests/sec in wrk's output:\n\(text)") }
        if text.contains("Non-2xx") { throw BenchError("wrk got errors:\n\(text)") }
        return (rate, text)
    }
}
