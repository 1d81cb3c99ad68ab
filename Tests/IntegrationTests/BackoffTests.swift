import Foundation
import Testing

/// A crash-looping task backs off exponentially up to its cap, says so in
/// its status, never gives up, and costs the others nothing.
extension IntegrationSuite {
@Suite struct BackoffTests {
    @Test func aCrashLoopBacksOffToTheCapAndKeepsTrying() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Crash": "#!/bin/sh\nexit 3\n", "Good": Scripts.sleeper],
            autotasks: #"{"Crash": {"backoff_initial": 200, "backoff_max": 1600}, "Good": {}}"#)
        try await withManager(ws, config: config) { m in
            let good = try await m.waitForWorkers("Good", count: 1)
            // Follow the count of quick failures and when each was seen.
            var seen: [(failures: Int, at: ContinuousClock.Instant)] = []
            var lastJSON: [String: Any] = [:]
            let reachedCap = try await eventually(timeout: .seconds(60), every: .milliseconds(20)) {
                lastJSON = try await m.json(.get, "/tasks/Crash").json
                let failures = lastJSON["quick_failures"] as? Int ?? 0
                if failures != seen.last?.failures { seen.append((failures, .now)) }
                return failures >= 7
            }
            #expect(reachedCap, "quick failures seen: \(seen.map(\.failures))")
            // The wait after failure f is 200 ms × 2^(f-1), at most 1600 ms,
            // at least 80% of that (the jitter); the polling adds, never removes.
            // Not from the first observation: that failure may have come well
            // before the polling began (while Good's worker was awaited).
            var checked = 0
            for (before, after) in zip(seen.dropFirst(), seen.dropFirst(2)) where before.failures >= 1 && after.failures == before.failures + 1 {
                let nominal = min(1600, 200 << (before.failures - 1))
                #expect(after.at - before.at >= .milliseconds(nominal * 8 / 10 - 40), "after \(before.failures) failures")
                checked += 1
            }
            #expect(checked >= 5, "quick failures seen: \(seen.map(\.failures))")
            // It says it is backing off, why, and until when.
            #expect(lastJSON["backoff_reason"] as? String == "exit status 3")
            #expect(lastJSON["next_spawn_at"] is String)
            let text = try await m.status("Crash")
            let backoff = try #require(text["Restart backoff"])
            #expect(backoff.hasSuffix("quick failures in a row, last: exit status 3"), "\(backoff)")
            #expect(text["Next spawn at"] != nil)
            // The other task and the API carry on untouched.
            #expect(try await m.workerPids("Good") == good)
            #expect(try await m.get("/tasks/Good/set/cardinality/2").status == 200)
            _ = try await m.waitForWorkers("Good", count: 2)
        }
    }
}
}
