import Foundation
import HTTPTypes
import Testing

/// `GET /metrics`: Prometheus text format, and counters that move when
/// workers die.
extension IntegrationSuite {
@Suite struct MetricsTests {
    /// One sample: `name{labels} value`.
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// Parses the text exposition format strictly enough to catch a broken
    /// line: every line is a `# HELP`/`# TYPE` comment or a sample.
    static func parse(_ text: String) -> (samples: [Sample], types: [String: String], bad: [String]) {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        var bad: [String] = []
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let sample = try! NSRegularExpression(
            pattern: #"^(\#(name))(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$"#)
        let label = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#)
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) {
                    types[String(parts[2])] = String(parts[3])
                } else {
                    bad.append(line)
                }
                continue
            }
            if line.hasPrefix("# HELP ") { continue }
            let range = NSRange(line.startIndex..., in: line)
            guard let match = sample.firstMatch(in: line, range: range),
                let value = Double(String(line[Range(match.range(at: 4), in: line)!]).replacingOccurrences(of: "+Inf", with: "inf"))
            else {
                bad.append(line)
                continue
            }
            var labels: [String: String] = [:]
            if let inner = Range(match.range(at: 3), in: line) {
                let text = String(line[inner])
                for m in label.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    labels[String(text[Range(m.range(at: 1), in: text)!])] = String(text[Range(m.range(at: 2), in: text)!])
                }
            }
            samples.append(Sample(name: String(line[Range(match.range(at: 1), in: line)!]), labels: labels, value: value))
        }
        return (samples, types, bad)
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    @Test func metricsMoveWhenWorkersDieAndTheFormatParses() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Work": Scripts.sleeper, "Stuck": Scripts.stubbornReadyThenSilent, "Crash": "#!/bin/sh\nexit 3\n"],
            autotasks: #"{"Work": {"cardinality": 2}, "Stuck": {"stall_timeout": 400, "startup_timeout": 60000, "grace_period": 200}, "Crash": {}}"#)
        try await withManager(ws, config: config) { m in
            let pids = try await m.waitForWorkers("Work", count: 2)
            let reply = try await m.get("/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            var parsed = Self.parse(reply.body)
            #expect(parsed.bad.isEmpty, "unparsable lines: \(parsed.bad)")
            let work = ["task": "Work"]
            #expect(Self.value(parsed.samples, "wpm_worker_spawns_total", work) == 2)
            #expect(Self.value(parsed.samples, "wpm_worker_exits_total", ["task": "Work", "reason": "signaled"]) == 0)
            #expect(Self.value(parsed.samples, "wpm_workers", ["task": "Work", "state": "running"]) == 2)
            #expect(Self.value(parsed.samples, "wpm_task_cardinality", work) == 2)
            #expect(parsed.types["wpm_worker_spawns_total"] == "counter")
            #expect(parsed.types["wpm_workers"] == "gauge")
            #expect(parsed.types["wpm_stall_detection_lag_seconds"] == "histogram")
            #expect(Self.value(parsed.samples, "process_resident_memory_bytes") ?? 0 > 1_000_000)
            #expect(Self.value(parsed.samples, "process_open_fds") ?? 0 > 3)
            #expect(Self.value(parsed.samples, "process_cpu_seconds_total") != nil)

            // One worker killed from outside: an exit and a spawn more.
            kill(pids[0], SIGKILL)
            _ = try await eventually {
                let now = try await m.workerPids("Work")
                return now.count == 2 && !now.contains(pids[0])
            }
            let moved = try await eventually {
                parsed = Self.parse(try await m.get("/metrics").body)
                return Self.value(parsed.samples, "wpm_worker_exits_total", ["task": "Work", "reason": "signaled"]) == 1
                    && Self.value(parsed.samples, "wpm_worker_spawns_total", work) == 3
            }
            #expect(moved, "\(parsed.samples.filter { $0.labels["task"] == "Work" }.map { "\($0.name) \($0.labels) \($0.value)" })")

            // Stalls: counted as exits, with the detection lag and the SIGKILL.
            let stalled = try await eventually {
                parsed = Self.parse(try await m.get("/metrics").body)
                return Self.value(parsed.samples, "wpm_worker_exits_total", ["task": "Stuck", "reason": "stalled"]) ?? 0 >= 1
            }
            #expect(stalled)
            let lagCount = Self.value(parsed.samples, "wpm_stall_detection_lag_seconds_count", ["task": "Stuck"]) ?? 0
            #expect(lagCount >= 1)
            #expect(Self.value(parsed.samples, "wpm_stall_detection_lag_seconds_bucket", ["task": "Stuck", "le": "+Inf"]) == lagCount)
            #expect(Self.value(parsed.samples, "wpm_worker_kills_total", ["task": "Stuck"]) ?? 0 >= 1)

            // A worker that exits at once: crashes, and spawns held back.
            let crashing = try await eventually {
                parsed = Self.parse(try await m.get("/metrics").body)
                return Self.value(parsed.samples, "wpm_worker_exits_total", ["task": "Crash", "reason": "crashed"]) ?? 0 >= 2
            }
            #expect(crashing)
            #expect(Self.value(parsed.samples, "wpm_backoffs_total", ["task": "Crash"]) ?? 0 >= 1)

            // HTTP requests by route template and code, never by raw path.
            _ = try await m.get("/tasks/Nope")
            parsed = Self.parse(try await m.get("/metrics").body)
            #expect(Self.value(parsed.samples, "wpm_http_requests_total", ["route": "/tasks/{name}", "method": "GET", "code": "404"]) == 1)
            #expect(Self.value(parsed.samples, "wpm_http_requests_total", ["route": "/metrics", "code": "200"]) ?? 0 >= 3)
            #expect(!parsed.samples.contains { $0.labels["route"]?.contains("Nope") == true })
        }
    }

    @Test func keepAlivesReceivedAndDroppedByReason() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#)
        try await withManager(ws, config: config) { m in
            let pid = try await m.waitForWorkers("Work", count: 1)[0]
            let publisher = try Publisher(m.keepAliveEndpoint)
            var parsed = Self.parse("")
            let counted = try await eventually {
                try publisher.beat("Work", pid: pid)
                try publisher.beat("Work", pid: 999_999)
                try publisher.send(["Nobody", #"{"taskname":"Nobody","pid":1}"#])
                try publisher.send(["Work", "not json"])
                parsed = Self.parse(try await m.get("/metrics").body)
                return Self.value(parsed.samples, "wpm_keepalives_received_total", ["task": "Work"]) ?? 0 >= 2
                    && Self.value(parsed.samples, "wpm_keepalives_dropped_total", ["task": "Work", "reason": "unknown_pid"]) ?? 0 >= 1
                    && Self.value(parsed.samples, "wpm_keepalives_dropped_total", ["task": "Work", "reason": "malformed_json"]) ?? 0 >= 1
                    && Self.value(parsed.samples, "wpm_keepalives_dropped_total", ["task": "", "reason": "unknown_task"]) ?? 0 >= 1
            }
            #expect(counted)
            #expect(parsed.bad.isEmpty)
        }
    }
}
}
