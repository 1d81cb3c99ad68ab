import Foundation
import Testing

@testable import Supervisor

/// What a reload changes, decided from two configs.
@Suite struct ConfigDiffTests {
    func spec(_ name: String, _ change: (inout TaskSpec) -> Void = { _ in }) -> TaskSpec {
        var spec = TaskSpec(name: name, command: "/t/\(name)", cardinality: 2)
        change(&spec)
        return spec
    }

    @Test func taskByTask() {
        let old = ManagerConfig(tasks: [spec("Args"), spec("Size"), spec("Same"), spec("Gone"), spec("Timeouts")])
        var new = ManagerConfig(tasks: [
            spec("Args") { $0.args = ["--v2"] }, spec("Size") { $0.cardinality = 4 }, spec("Same"), spec("New"),
            spec("Timeouts") {
                $0.stallTimeoutMS = 5000
                $0.restart.minUptimeMS = 0
                $0.captureOutput = true
            },
        ])
        new.port = 9000
        let diff = ConfigDiff(from: old, to: new)
        #expect(diff.tasks["Args"] == .changed(new.tasks[0], keys: ["args"], relaunch: true))
        #expect(diff.tasks["Size"] == .changed(new.tasks[1], keys: ["cardinality"], relaunch: false))
        #expect(diff.tasks["Same"] == .unchanged)
        #expect(diff.tasks["Gone"] == .removed)
        #expect(diff.tasks["New"] == .added(new.tasks[3]))
        #expect(diff.tasks["Timeouts"] == .changed(new.tasks[4], keys: ["stall_timeout", "restart policy", "capture_output"], relaunch: false))
        #expect(diff.needsRestart == ["port"])
        #expect(!diff.isEmpty)
    }

    @Test func theCommandIsALaunchSetting() {
        let diff = ConfigDiff(
            from: ManagerConfig(tasks: [spec("A")]), to: ManagerConfig(tasks: [spec("A") { $0.command = "/other"; $0.cardinality = 3 }]))
        guard case .changed(_, let keys, let relaunch) = diff.tasks["A"] else {
            Issue.record("not changed")
            return
        }
        #expect(keys == ["cardinality", "cmd"])
        #expect(relaunch)
    }

    /// The pool-operation keys change how workers are stopped and replaced,
    /// not how they start: applied in place, no rolling restart.
    @Test func drainRecyclingAndBackoffResetApplyInPlace() {
        let old = ManagerConfig(tasks: [spec("A")])
        let new = ManagerConfig(tasks: [
            spec("A") {
                $0.drain = DrainSettings(signal: SIGTSTP, timeoutMS: 1000)
                $0.recycle.maxMemoryBytes = 1 << 20
                $0.restart.backoffResetMS = 5000
            }
        ])
        #expect(
            ConfigDiff(from: old, to: new).tasks["A"]
                == .changed(
                    new.tasks[0],
                    keys: ["restart policy", "drain_signal/drain_timeout", "max_lifetime/lifetime_jitter/max_memory/memory_check_interval/max_jobs"],
                    relaunch: false))
    }

    @Test func sameConfigIsEmpty() {
        let config = ManagerConfig(tasks: [spec("A"), spec("B")])
        #expect(ConfigDiff(from: config, to: config).isEmpty)
    }

    @Test func workerLogKeysApplyInPlaceOneByOne() {
        var old = ManagerConfig(tasks: [spec("A")])
        var new = old
        new.workerLogs = WorkerLogConfig(directory: "/tmp/a")
        var diff = ConfigDiff(from: old, to: new)
        // Setting log_dir sets all three (from nothing to the defaults).
        #expect(diff.appliedInPlace == ["log_dir", "log_max_size", "log_backups"])
        #expect(diff.needsRestart == [])
        #expect(diff.tasks["A"] == .unchanged)
        #expect(!diff.isEmpty)

        old = new
        new.workerLogs?.maxSize = 2048
        diff = ConfigDiff(from: old, to: new)
        #expect(diff.appliedInPlace == ["log_max_size"])
        new.workerLogs?.backups = 0
        new.workerLogs?.directory = "/tmp/b"
        #expect(ConfigDiff(from: old, to: new).appliedInPlace == ["log_dir", "log_max_size", "log_backups"])
        #expect(ConfigDiff(from: new, to: new).isEmpty)

        new.workerLogs = nil
        #expect(ConfigDiff(from: old, to: new).appliedInPlace == ["log_dir", "log_max_size", "log_backups"])
    }

    @Test func reportLinesWithKeysAppliedInPlace() {
        let report = ReloadReport(
            tasks: [.init(task: "A", result: "unchanged", changed: [], actions: [])], needsRestart: ["port"],
            appliedInPlace: ["log_dir"], warnings: [])
        #expect(
            report.lines == [
                "A: unchanged", "applied in place: log_dir", "needs a restart of wpmanager (running values kept): port",
            ])
    }

    @Test func reportLines() {
        let report = ReloadReport(
            tasks: [
                .init(task: "A", result: "changed", changed: ["args"], actions: ["rolling restart"]),
                .init(task: "B", result: "unchanged", changed: [], actions: []),
            ], needsRestart: ["port"], warnings: [])
        #expect(report.lines == ["A: changed (args): rolling restart", "B: unchanged", "needs a restart of wpmanager (running values kept): port"])
    }
}
