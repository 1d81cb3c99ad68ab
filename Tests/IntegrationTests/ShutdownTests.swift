import Foundation
import Testing

/// Signals to the manager (SPEC §6): no worker outlives a manager that was asked to stop.
extension IntegrationSuite {
@Suite struct ShutdownTests {
    @Test(arguments: [SIGTERM, SIGINT, SIGQUIT])
    func signalStopsEveryWorkerAndExitsZero(signal: Int32) async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Work": Scripts.sleeper, "Fork": Scripts.forker],
            autotasks: #"{"Work": {"cardinality": 5}, "Fork": {"cardinality": 2}}"#)
        let m = try await Manager.start(ws, config: config)
        _ = try await m.waitForWorkers("Work", count: 5)
        _ = try await m.waitForWorkers("Fork", count: 2)
        #expect(await eventually { m.liveWorkers().count == 11 })
        let status = try await m.terminate(signal)
        #expect(status == 0)
        #expect(m.liveWorkers().isEmpty, "left: \(m.liveWorkers())")
        try await m.finish()
    }

    @Test func stubbornWorkersAreKilledWithinForceTimeout() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Stubborn": Scripts.stubborn], autotasks: #"{"Stubborn": {"cardinality": 3, "grace_period": 60000}}"#,
            extra: ["force_timeout": 1500])
        let m = try await Manager.start(ws, config: config)
        _ = try await m.waitForWorkers("Stubborn", count: 3)
        let asked = ContinuousClock.now
        #expect(try await m.terminate(SIGTERM) == 0)
        let took = ContinuousClock.now - asked
        #expect(took >= .milliseconds(1400), "exited before force_timeout: \(took)")
        #expect(m.liveWorkers().isEmpty)
        #expect(m.stderr.text.contains("force_timeout reached"))
        try await m.finish()
    }

    @Test func aSecondSignalSkipsToSIGKILL() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Stubborn": Scripts.stubborn], autotasks: #"{"Stubborn": {"cardinality": 3, "grace_period": 120000}}"#,
            extra: ["force_timeout": 120000])
        let m = try await Manager.start(ws, config: config)
        _ = try await m.waitForWorkers("Stubborn", count: 3)
        kill(m.pid, SIGTERM)
        #expect(await eventually { m.stderr.text.contains("stopping every task") })
        #expect(m.process.isRunning)
        kill(m.pid, SIGINT)
        #expect(try await m.waitForExit(timeout: .seconds(30)) == 0)
        #expect(m.stderr.text.contains("killing every worker now"))
        #expect(m.liveWorkers().isEmpty)
        try await m.finish()
    }

    /// SIGHUP reloads the config (ReloadTests): an unchanged one changes nothing.
    @Test func sighupWithAnUnchangedConfigChangesNothing() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 2}}"#)
        try await withManager(ws, config: config) { m in
            let pids = try await m.waitForWorkers("Work", count: 2)
            kill(m.pid, SIGHUP)
            #expect(await eventually { m.stderr.text.contains("SIGHUP received: reloading the config") })
            #expect(await eventually { m.stderr.text.contains("config reloaded") })
            #expect(try await m.get("/list").body == "Work\n")
            #expect(try await m.workerPids("Work") == pids)
        }
    }
}
}
