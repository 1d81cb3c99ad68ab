import Foundation
import Testing

/// Graceful recycling with real workers: a process group past `max_memory`
/// is replaced with the ready count never below the cardinality; a pool
/// with `max_lifetime` recycles spread over its jitter window.
extension IntegrationSuite {
@Suite struct RecycleTests {
    @Test func aWorkerWhoseGroupGrowsPastMaxMemoryIsReplacedWithoutLosingReadyWorkers() async throws {
        let ws = try Workspace()
        // The first worker starts a child holding 64 MiB (in its process group).
        let script = """
            #!/bin/sh
            if mkdir \(ws.path)/grown 2>/dev/null; then
              python3 -c "import time; b = b'x' * (64 << 20); time.sleep(1000)" &
            fi
            while :; do \(keepAliveCommand) --pid $$ --timeout 20000 --status ready; sleep 0.3; done
            """
        let config = ws.standardConfig(
            tasks: ["Grow": script],
            autotasks: #"{"Grow": {"cardinality": 3, "ready_on": "status", "max_memory": "40MiB", "memory_check_interval": 200}}"#)
        try await withManager(ws, config: config) { m in
            let first = try await m.waitForWorkers("Grow", count: 3)
            #expect(await eventually { (try? await m.status("Grow")["Ready Workers"]) == "3 / 3" })
            let watcher = try await EventWatcher.connect(m, query: "?task=Grow")
            defer { watcher.stop() }
            // From now on the ready count never drops below 3 until the recycling is over.
            var lowest = 3
            var status: [String: Any] = [:]
            let recycled = try await eventually(timeout: .seconds(60), every: .milliseconds(50)) {
                status = try await m.json(.get, "/tasks/Grow").json
                lowest = min(lowest, status["ready_workers"] as? Int ?? 0)
                return (status["exits"] as? [String: Any])?["recycled"] as? Int == 1
            }
            #expect(recycled, "\(status)\n\(m.stderr.text)")
            #expect(lowest >= 3)
            await watcher.waitFor("worker_stopping for max_memory") {
                $0.contains { ($0["reason"] as? String)?.hasPrefix("recycling: max_memory (") == true }
            }
            let chosen = watcher.events.first { $0["type"] as? String == "worker_stopping" }
            let exited = watcher.events.first { $0["type"] as? String == "worker_exited" }
            #expect(exited?["reason"] as? String == "recycled")
            #expect(chosen?["pid"] as? Int == exited?["pid"] as? Int)
            #expect(first.map(Int.init).contains(chosen?["pid"] as? Int ?? 0))
            _ = try await m.waitForWorkers("Grow", count: 3)
            #expect(try await m.status("Grow")["Recycled Workers"] == "1")
            #expect(status["quick_failures"] as? Int == 0)
            let metrics = try await m.get("/metrics").body.split(separator: "\n")
            #expect(metrics.contains {
                $0.hasPrefix("wpm_worker_exits_total{") && $0.contains(#"reason="recycled""#) && $0.contains(#"task="Grow""#)
                    && $0.hasSuffix(" 1")
            })
        }
    }

    @Test func aHundredWorkersWithMaxLifetimeRecycleSpreadOverTheJitterWindow() async throws {
        let ws = try Workspace()
        // Lifetimes from 3 s to 6 s after each spawn; 10 replacements at most at once.
        let config = ws.standardConfig(
            tasks: ["Many": Scripts.sleeper],
            autotasks: #"{"Many": {"cardinality": 100, "max_lifetime": 6000, "lifetime_jitter": 0.5, "max_surge": 10}}"#)
        try await withManager(ws, config: config) { m in
            let watcher = try await EventWatcher.connect(m, query: "?task=Many")
            defer { watcher.stop() }
            let first = Set(try await m.waitForWorkers("Many", count: 100, timeout: .seconds(120)).map(Int.init))
            var most = 0
            let done = try await eventually(timeout: .seconds(120), every: .milliseconds(100)) {
                let status = try await m.json(.get, "/tasks/Many").json
                most = max(most, status["active_workers"] as? Int ?? 0)
                let chosen = watcher.events.filter { $0["type"] as? String == "worker_stopping" }
                return Set(chosen.compactMap { $0["pid"] as? Int }).isSuperset(of: first)
            }
            #expect(done)
            #expect(most <= 110, "active workers seen: \(most)")
            let stops = watcher.events.filter { $0["type"] as? String == "worker_stopping" && first.contains($0["pid"] as? Int ?? 0) }
            #expect(stops.allSatisfy { ($0["reason"] as? String)?.hasPrefix("recycling: max_lifetime (6000 ms") == true })
            // Spread: the middle 80% of the first generation went over a second and more
            // (the window is 3 s wide), never all at once.
            let times = stops.compactMap { ($0["time"] as? String).flatMap(Self.seconds) }.sorted()
            #expect(times.count == 100)
            if times.count == 100 {
                #expect(times[89] - times[10] >= 1.0, "recycle times: \(times.map { $0 - times[0] })")
            }
        }
    }

    /// Seconds of the day of an event time (`2026-12-03T16:01:30.123Z`).
    static func seconds(_ time: String) -> Double? {
        guard let t = time.firstIndex(of: "T") else { return nil }
        let parts = time[time.index(after: t)...].dropLast().split(separator: ":")
        guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let s = Double(parts[2]) else { return nil }
        return h * 3600 + m * 60 + s
    }
}
}
