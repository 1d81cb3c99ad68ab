import Foundation
import Testing

extension IntegrationSuite {
    /// `wpconsole check [TASK]` as an exec probe or a container HEALTHCHECK
    /// runs it: exit status 0 ready, 1 not ready (or no answer), 2 a usage error.
    @Suite struct ConsoleCheckTests {
        @Test func checkExitsZeroWhenReadyOneWhenNotTwoForAUsageError() async throws {
            let ws = try Workspace()
            let cfg = HealthTests.config(
                ws, tasks: ["Work": Scripts.sleeper, "Idle": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 2}}"#)
            try await withManager(ws, config: cfg) { m in
                m.token = HealthTests.token
                let pids = try await m.waitForWorkers("Work", count: 2)
                let host = "-host=127.0.0.1:\(m.port)"
                // Without the token: the verdict and the counts.
                let notReady = try await runConsole([host, "check"], workspace: ws)
                #expect(notReady.status == 1, "\(notReady.stdout)\(notReady.stderr)")
                #expect(notReady.stdout == "not ready: 0 of 1 running tasks ready, 0 workers ready (min_ready 2)\n")
                // With it (WPM_TOKEN, as in a container): the reasons.
                let detailed = try await runConsole([host, "check", "Work"], workspace: ws, environment: ["WPM_TOKEN": HealthTests.token])
                #expect(detailed.status == 1)
                #expect(detailed.stdout.contains("\nWork: not ready: 0 of 2 workers ready, min_ready is 2\n"), "\(detailed.stdout)")

                let publisher = try Publisher(m.keepAliveEndpoint)
                for pid in pids { try publisher.beat("Work", pid: pid) }
                #expect(try await eventually { try await m.get("/readyz").status == 200 })
                let ready = try await runConsole([host, "check"], workspace: ws)
                #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
                #expect(ready.stdout == "ready: 1 of 1 running tasks ready, 2 workers ready (min_ready 2)\n")
                let work = try await runConsole([host, "-token=\(HealthTests.token)", "check", "Work"], workspace: ws)
                #expect(work.status == 0)
                #expect(work.stdout.hasSuffix("\nWork: ready: 2 of 2 workers ready (min_ready 2)\n"), "\(work.stdout)")
                let idle = try await runConsole([host, "-token=\(HealthTests.token)", "check", "Idle"], workspace: ws)
                #expect(idle.status == 1)
                #expect(idle.stdout.hasSuffix("\nIdle: not ready: not running\n"))

                // Refused, unreachable, wrong: 1; a usage error: 2.
                let noToken = try await runConsole([host, "check", "Work"], workspace: ws)
                #expect(noToken.status == 1)
                #expect(noToken.stderr.contains("error: HTTP 401: ERROR: ?task= needs the token"), "\(noToken.stderr)")
                let unknown = try await runConsole([host, "-token=\(HealthTests.token)", "check", "Nope"], workspace: ws)
                #expect(unknown.status == 1)
                #expect(unknown.stderr == "error: HTTP 404: ERROR: unknown task Nope\n")
                let down = try await runConsole(["-host=127.0.0.1:\(try unusedPort())", "check"], workspace: ws)
                #expect(down.status == 1)
                #expect(down.stderr.contains("error: no manager answers at 127.0.0.1:"))
                let usage = try await runConsole([host, "check", "Work", "Idle"], workspace: ws)
                #expect(usage.status == 2)
                #expect(usage.stderr.contains(#"check: unexpected "Idle" (usage: check [TASK])"#), "\(usage.stderr)")
                // Several managers: every one must be ready.
                let fleet = try await runConsole(["-host=127.0.0.1:\(m.port),127.0.0.1:\(try unusedPort())", "check"], workspace: ws)
                #expect(fleet.status == 1)
                #expect(fleet.stdout.hasPrefix("127.0.0.1:\(m.port): ready: "), "\(fleet.stdout)")
            }
        }
    }
}
