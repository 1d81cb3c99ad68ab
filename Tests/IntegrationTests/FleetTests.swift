import Foundation
import Testing

extension IntegrationSuite {
    /// Three managers and a real Prometheus that scrapes them every second
    /// with the shipped rules (deploy/prometheus/wpm-rules.yml): through its
    /// HTTP API, the fleet's workers add up, follow a resize of one manager's
    /// task, and the recording rule of ready workers per task answers.
    @Suite struct FleetTests {
        @Test func aRealPrometheusSeesTheFleetChangeAndItsRecordingRulesAnswer() async throws {
            let workspaces = try (0..<3).map { _ in try Workspace() }
            var managers: [Manager] = []
            let promWorkspace = try Workspace()
            var prometheus: PrometheusServer?
            do {
                for (index, ws) in workspaces.enumerated() {
                    var settings = ws.testConfig(stall: 600000, grace: 200)
                    settings.autotasks = ["Work": ["cardinality": .int(index + 1)]]
                    let config = ws.config(settings)
                    ws.task("WorkTask.sh", Scripts.sleeper)
                    managers.append(try await Manager.start(ws, config: config))
                }
                // Every worker beats once: it is ready.
                var publishers: [Publisher] = []
                for (index, m) in managers.enumerated() {
                    let publisher = try Publisher(m.keepAliveEndpoint)
                    for pid in try await m.waitForWorkers("Work", count: index + 1) { try publisher.beat("Work", pid: pid) }
                    publishers.append(publisher)
                }
                let server = try PrometheusServer(
                    promWorkspace, targets: managers.map { "127.0.0.1:\($0.port)" },
                    ruleFiles: [repositoryRoot + "/deploy/prometheus/wpm-rules.yml"])
                prometheus = server
                try await server.waitUntilReady()

                func eventuallyEquals(_ promql: String, _ expected: Double) async throws {
                    var last: Double?
                    let ok = try await eventually(timeout: .seconds(90), every: .milliseconds(500)) {
                        last = try await server.scalar(promql)
                        return last == expected
                    }
                    #expect(ok, "\(promql): \(String(describing: last)), expected \(expected)\n\(server.stderr.text)")
                }
                try await eventuallyEquals(#"count(up{job="wpm"} == 1)"#, 3)
                try await eventuallyEquals(#"sum(wpm_workers{state="running"})"#, 6)
                try await eventuallyEquals(#"task:wpm_workers_ready:sum{task="Work"}"#, 6)
                try await eventuallyEquals(#"job:wpm_managers_up:sum"#, 3)
                try await eventuallyEquals(#"task:wpm_task_cardinality:sum{task="Work"}"#, 6)

                // One manager's task resized: the sum follows; the new
                // workers are ready once they have beaten.
                #expect(try await managers[1].get("/tasks/Work/set/cardinality/5").status == 200)
                try await eventuallyEquals(#"sum(wpm_workers{state="running"})"#, 9)
                try await eventuallyEquals(#"task:wpm_task_cardinality:sum{task="Work"}"#, 9)
                #expect(try await server.scalar(#"task:wpm_workers_ready:sum{task="Work"}"#) == 6)
                for pid in try await managers[1].waitForWorkers("Work", count: 5) { try publishers[1].beat("Work", pid: pid) }
                try await eventuallyEquals(#"task:wpm_workers_ready:sum{task="Work"}"#, 9)
                // And a manager that goes away is seen down.
                try await managers[2].finish()
                try await eventuallyEquals(#"count(up{job="wpm"} == 0)"#, 1)
                try await eventuallyEquals(#"sum(wpm_workers{state="running"})"#, 6)
            } catch {
                await prometheus?.stop()
                for m in managers { try? await m.finish() }
                throw error
            }
            await prometheus?.stop()
            for m in managers { try await m.finish() }
            let left = await eventually(timeout: .seconds(20)) { promWorkspace.liveProcesses().isEmpty }
            #expect(left, "prometheus left running: \(promWorkspace.liveProcesses())")
            for pid in promWorkspace.liveProcesses() { kill(pid, SIGKILL) }
        }
    }
}
