import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// `min_ready`, `ready_grace` and how a pool is judged for `/readyz`, with a
/// hand-made clock; and the liveness deadline.
@Suite struct HealthPolicyTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    @Test func minReadyIsANumberOrAPercentageRoundedUpAndNeverAboveTheCardinality() {
        #expect(HealthPolicy().minReady(cardinality: 4) == 4)
        #expect(HealthPolicy().minReady(cardinality: 0) == 0)
        #expect(HealthPolicy(minReady: .percent(50)).minReady(cardinality: 5) == 3)
        #expect(HealthPolicy(minReady: .percent(50)).minReady(cardinality: 4) == 2)
        #expect(HealthPolicy(minReady: .percent(1)).minReady(cardinality: 1000) == 10)
        #expect(HealthPolicy(minReady: .percent(0)).minReady(cardinality: 7) == 0)
        #expect(HealthPolicy(minReady: .workers(3)).minReady(cardinality: 5) == 3)
        #expect(HealthPolicy(minReady: .workers(3)).minReady(cardinality: 2) == 2)
    }

    @Test func theKeysAtTheTopAndPerTask() throws {
        let dir = try TaskDirectory(files: ["ATask.sh", "BTask.sh", "CTask.sh"])
        let config = try dir.parse(
            """
            {"path": "\(dir.path)", "filesuffix": "Task.sh", "min_ready": "50%", "ready_grace": 0,
             "autotasks": {"A": {"min_ready": 2, "ready_grace": 5000}, "B": {}}}
            """)
        let byName = Dictionary(uniqueKeysWithValues: config.tasks.map { ($0.name, $0.health) })
        #expect(byName["A"] == HealthPolicy(minReady: .workers(2), readyGraceMS: 5000))
        #expect(byName["B"] == HealthPolicy(minReady: .percent(50), readyGraceMS: 0))
        #expect(byName["C"] == HealthPolicy(minReady: .percent(50), readyGraceMS: 0))
        let defaults = try dir.parse(#"{"path": "\#(dir.path)", "filesuffix": "Task.sh"}"#)
        #expect(defaults.tasks.allSatisfy { $0.health == HealthPolicy(minReady: .percent(100), readyGraceMS: 30_000) })
        #expect(config.warnings.isEmpty, "\(config.warnings)")
    }

    @Test func wrongValuesAreRefusedNamingTheKey() throws {
        let dir = try TaskDirectory(files: ["ATask.sh"])
        func problem(_ entry: String, top: Bool = false) -> String {
            let json =
                top
                ? #"{"path": "\#(dir.path)", "filesuffix": "Task.sh", \#(entry)}"#
                : #"{"path": "\#(dir.path)", "filesuffix": "Task.sh", "max_cardinality": 50, "autotasks": {"A": {\#(entry)}}}"#
            return dir.error(json).map { "\($0.key ?? ""): \($0.problem)" } ?? "loaded"
        }
        let number = #"must be a whole number of workers from 0 to 50 or a percentage such as "50%""#
        #expect(problem(#""min_ready": 51"#) == "autotasks.A.min_ready: \(number), got 51")
        #expect(problem(#""min_ready": -1"#) == "autotasks.A.min_ready: \(number), got -1")
        #expect(problem(#""min_ready": 1.5"#).hasPrefix("autotasks.A.min_ready: \(number), got a number"))
        #expect(problem(#""min_ready": true"#).hasPrefix("autotasks.A.min_ready: \(number), got a boolean"))
        #expect(problem(#""min_ready": "50""#) == #"autotasks.A.min_ready: \#(number), got "50""#)
        #expect(problem(#""min_ready": "%""#) == #"autotasks.A.min_ready: \#(number), got "%""#)
        #expect(problem(#""min_ready": "-5%""#) == #"autotasks.A.min_ready: \#(number), got "-5%""#)
        #expect(problem(#""min_ready": "101%""#) == #"autotasks.A.min_ready: must be a percentage from 0% to 100%, got "101%""#)
        #expect(problem(#""ready_grace": -1"#) == "autotasks.A.ready_grace: must be a whole number of milliseconds (0: no backoff allowed), got -1")
        #expect(problem(#""ready_grace": "1s""#, top: true).hasPrefix("ready_grace: must be a whole number of milliseconds"))
        #expect(problem(#""min_ready": "100%", "ready_grace": 0"#) == "loaded")
    }

    /// `backoff_reset` 0: a run of `min_uptime` is stable (PoolBackoffResetTests has the rest).
    func pool(cardinality: Int, health: HealthPolicy = HealthPolicy(), minUptimeMS: Int = 1000) -> PoolStateMachine {
        var spec = TaskSpec(
            name: "T", command: "/bin/true", cardinality: cardinality,
            restart: RestartPolicy(minUptimeMS: minUptimeMS, backoffResetMS: 0))
        spec.health = health
        return PoolStateMachine(spec: spec, jitter: .fixed(0.5))
    }

    @Test func aPoolIsReadyWithMinReadyReadyWorkers() {
        var p = pool(cardinality: 3, health: HealthPolicy(minReady: .workers(2)))
        #expect(p.readiness(now: t(0).instant).reasons == ["not running"])
        _ = p.start(now: t(0))
        for pid in pid_t(101)...103 { _ = p.spawned(pid: pid, now: t(0)) }
        let none = p.readiness(now: t(1).instant)
        #expect(!none.ready)
        #expect(none.reasons == ["0 of 3 workers ready, min_ready is 2"])
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(1))
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 102), now: t(1))
        let two = p.readiness(now: t(2).instant)
        #expect(two.ready)
        #expect(two.readyWorkers == 2)
        #expect(two.minReady == 2)
        #expect(two.backoffSeconds == nil)
    }

    @Test func aCrashLoopIsInBackoffFromItsFirstQuickFailureUntilAStableRun() {
        var p = pool(cardinality: 1, health: HealthPolicy(minReady: .workers(0), readyGraceMS: 5000))
        _ = p.start(now: t(0))
        _ = p.spawned(pid: 101, now: t(0))
        #expect(p.restartBackoff(now: t(0.5).instant) == nil)
        // Dies young at 0.5 s: backoff from then on, through more quick failures.
        _ = p.exited(pid: 101, status: .exited(code: 3), now: t(0.5))
        #expect(p.restartBackoff(now: t(1).instant) == .milliseconds(500))
        _ = p.tick(now: t(1.5))
        _ = p.spawned(pid: 102, now: t(1.5))
        _ = p.exited(pid: 102, status: .exited(code: 3), now: t(1.6))
        #expect(p.restartBackoff(now: t(4).instant) == .milliseconds(3500))
        #expect(p.readiness(now: t(5).instant).ready, "4.5 s is within ready_grace")
        let late = p.readiness(now: t(6).instant)
        #expect(!late.ready)
        #expect(late.reasons == ["in restart backoff for 5.5 s, longer than ready_grace (5.0 s): last exit status 3"])
        #expect(late.backoffSeconds == 5.5)
        // A worker that lives min_uptime ends the streak.
        _ = p.tick(now: t(10))
        _ = p.spawned(pid: 103, now: t(10))
        #expect(p.restartBackoff(now: t(10.5).instant) != nil)
        #expect(p.restartBackoff(now: t(11).instant) == nil)
        #expect(p.readiness(now: t(11).instant).ready)
        // A new streak counts from its own first failure.
        _ = p.exited(pid: 103, status: .exited(code: 3), now: t(20))
        #expect(p.restartBackoff(now: t(21).instant) == nil, "lived past min_uptime: no quick failure")
        _ = p.tick(now: t(20))
        _ = p.spawned(pid: 104, now: t(20))
        _ = p.exited(pid: 104, status: .exited(code: 3), now: t(20.2))
        #expect(p.restartBackoff(now: t(21).instant) == .milliseconds(800))
        // A stopped task is in no backoff.
        _ = p.stop(now: t(21))
        #expect(p.restartBackoff(now: t(22).instant) == nil)
    }

    @Test func theReportCountsRunningTasksAndHidesNamesWhenAsked() {
        let ready = TaskReadiness(name: "A", ready: true, running: true, readyWorkers: 2, minReady: 2, cardinality: 2, reasons: [])
        let short = TaskReadiness(
            name: "B", ready: false, running: true, readyWorkers: 1, minReady: 2, cardinality: 3, reasons: ["x"])
        let stopped = TaskReadiness(
            name: "C", ready: false, running: false, readyWorkers: 0, minReady: 1, cardinality: 1, reasons: ["not running"])
        let report = ReadinessReport(phase: .running, tasks: [ready, short, stopped])
        #expect(!report.ready)
        #expect(report.tasksRunning == 2)
        #expect(report.tasksReady == 1)
        #expect(report.readyWorkers == 3)
        #expect(report.minReady == 4)
        #expect(report.anonymous.tasks == nil)
        #expect(ReadinessReport(phase: .running, tasks: [ready]).ready)
        #expect(ReadinessReport(phase: .running, tasks: []).ready)
        #expect(!ReadinessReport(phase: .starting, tasks: [ready]).ready)
        #expect(!ReadinessReport(phase: .shuttingDown, tasks: []).ready)
    }

    @Test func livenessWaitsAtMostItsDeadline() async {
        let quick = await Liveness.answered(within: .seconds(10)) {}
        #expect(quick != nil)
        let start = ContinuousClock.now
        let hung = await Liveness.answered(within: .milliseconds(200)) {
            try? await Task.sleep(for: .seconds(30))
        }
        #expect(hung == nil)
        #expect(start.duration(to: .now) < .seconds(20), "it did not wait for the operation")
    }
}

/// A reload that changes only `min_ready` or `ready_grace` applies them in
/// place: no worker is restarted for them.
@Suite struct HealthReloadTests {
    @Test func minReadyAndReadyGraceChangeInPlace() {
        let old = ManagerConfig(tasks: [TaskSpec(name: "A", command: "/t/A", cardinality: 2)])
        var spec = old.tasks[0]
        spec.health = HealthPolicy(minReady: .percent(50), readyGraceMS: 1000)
        let diff = ConfigDiff(from: old, to: ManagerConfig(tasks: [spec]))
        #expect(diff.tasks["A"] == .changed(spec, keys: ["min_ready/ready_grace"], relaunch: false))
    }
}
