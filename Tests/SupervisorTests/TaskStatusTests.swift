import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// `PoolStateMachine.status(now:)` reads counts the pool keeps as its
/// workers change (running, ready, stopping, the newest keep-alive): they
/// must always equal what a walk over the workers finds.
@Suite struct TaskStatusTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    @Test func countsRunningAndStoppingWorkersAndTheNewestKeepAlive() {
        var p = PoolStateMachine(spec: TaskSpec(name: "T", command: "/bin/true", cardinality: 4, gracePeriodMS: 500))
        _ = p.start(now: t(0))
        for pid in pid_t(101)...104 { _ = p.spawned(pid: pid, now: t(0)) }
        // Beats out of pid order; the newest is not the last one sent.
        _ = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 103), now: t(5))
        _ = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(7))
        _ = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 102), now: t(6))
        // Two workers are being stopped (scale-down stops the newest).
        _ = p.setCardinality(2, now: t(8))
        let s = p.status(now: t(8))
        #expect(s.activeWorkers == 2)
        #expect(s.stoppingWorkers == 2)
        #expect(s.activeWorkers == p.activeWorkers)
        #expect(s.lastAliveAt == t(7).date)
        #expect(s.keepAlivesReceived == 3)
    }

    @Test func aPoolWithNoWorkersShowsItsStartTime() {
        var p = PoolStateMachine(spec: TaskSpec(name: "T", command: "/bin/true", cardinality: 0, gracePeriodMS: 500))
        _ = p.start(now: t(1))
        let s = p.status(now: t(2))
        #expect(s.activeWorkers == 0)
        #expect(s.stoppingWorkers == 0)
        #expect(s.lastAliveAt == t(1).date)
    }

    /// What the workers themselves say: running, ready among them, stopping.
    func walked(_ p: PoolStateMachine) -> [Int] {
        let running = p.workers.values.filter(\.isRunning)
        return [running.count, running.filter(\.isReady).count, p.workers.count - running.count]
    }

    func counted(_ p: PoolStateMachine, _ now: Moment) -> [Int] {
        let s = p.status(now: now)
        return [s.activeWorkers, s.readyWorkers, s.stoppingWorkers]
    }

    @Test func keptCountsFollowSpawnReadinessStallResizeExitAndRestart() {
        var spec = TaskSpec(name: "T", command: "/bin/true", cardinality: 6, stallTimeoutMS: 1000, gracePeriodMS: 500)
        spec.startupTimeoutMS = 10_000
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for pid in pid_t(101)...106 { _ = p.spawned(pid: pid, now: t(0)) }
        #expect(counted(p, t(0)) == [6, 0, 0])
        for pid in pid_t(101)...105 { p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid), now: t(0.5)) }
        // A second keep-alive of a ready worker does not count it twice.
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(0.6))
        #expect(counted(p, t(0.6)) == [6, 5, 0])
        #expect(counted(p, t(0.6)) == walked(p))
        // 103 stalls (no keep-alive for 1 s after 0.5 s): ready, then stopping.
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(1.4))
        guard case .stalled = p.checkStall(pid: 103, now: t(1.6)) else {
            Issue.record("103 did not stall")
            return
        }
        #expect(counted(p, t(1.6)) == [5, 4, 1])
        #expect(counted(p, t(1.6)) == walked(p))
        // Its replacement starts; 103 ignores SIGTERM and is killed at the grace period.
        _ = p.spawned(pid: 107, now: t(1.7))
        _ = p.tick(now: t(2.2))
        #expect(counted(p, t(2.2)) == [6, 4, 1])
        _ = p.exited(pid: 103, status: .signaled(signal: SIGKILL, coreDumped: false), now: t(2.3))
        #expect(counted(p, t(2.3)) == [6, 4, 0])
        // A ready worker and a not-ready one end on their own.
        _ = p.exited(pid: 102, status: .exited(code: 1), now: t(3))
        _ = p.exited(pid: 106, status: .exited(code: 1), now: t(3))
        #expect(counted(p, t(3)) == [4, 3, 0])
        #expect(counted(p, t(3)) == walked(p))
        // Scale-down stops the newest (107, not ready; 105, ready).
        _ = p.setCardinality(2, now: t(4))
        #expect(counted(p, t(4)) == [2, 2, 2])
        #expect(counted(p, t(4)) == walked(p))
        // The newest keep-alive stays the task's last sign of life when its worker ends.
        _ = p.exited(pid: 101, status: .exited(code: 0), now: t(4.1))
        #expect(p.status(now: t(4.1)).lastAliveAt == t(1.4).date)
        #expect(counted(p, t(4.1)) == walked(p))
        // Stop: every worker stopping, none counted ready; a new start counts afresh.
        _ = p.stop(now: t(5))
        #expect(walked(p) == [0, 0, 3])
        #expect(p.readyWorkers == 0 && p.activeWorkers == 0)
        _ = p.killAll()
        for pid in [104, 105, 107] as [pid_t] { _ = p.exited(pid: pid, status: .signaled(signal: SIGKILL, coreDumped: false), now: t(5.5)) }
        _ = p.start(now: t(6))
        #expect(p.status(now: t(6)).lastAliveAt == t(6).date)
        #expect(counted(p, t(6)) == [0, 0, 0])
    }

    @Test func drainingWorkersAreCountedApartFromStoppingOnes() {
        var spec = TaskSpec(name: "T", command: "/bin/true", cardinality: 4, gracePeriodMS: 500)
        spec.drain = DrainSettings(signal: SIGTSTP, timeoutMS: 1000)
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for pid in pid_t(101)...104 { _ = p.spawned(pid: pid, now: t(0)) }
        for pid in pid_t(101)...104 { p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid, status: .working), now: t(0.5)) }
        // Scale-down drains ready workers: counted as draining, not as stopping nor ready.
        _ = p.setCardinality(2, now: t(1))
        func draining() -> Int { p.workers.values.filter { if case .draining = $0.state { true } else { false } }.count }
        var s = p.status(now: t(1))
        #expect(draining() == 2)
        #expect([s.activeWorkers, s.readyWorkers, s.drainingWorkers ?? -1, s.stoppingWorkers] as [Int] == [2, 2, 2, 0])
        // A draining worker that says it is idle gets its stop signal: stopping now.
        let drained = p.workers.values.first { if case .draining = $0.state { true } else { false } }!.pid
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: drained, status: .ready), now: t(1.2))
        s = p.status(now: t(1.2))
        #expect([s.activeWorkers, s.readyWorkers, s.drainingWorkers ?? -1, s.stoppingWorkers] as [Int] == [2, 2, 1, 1])
        _ = p.exited(pid: drained, status: .exited(code: 0), now: t(1.3))
        s = p.status(now: t(1.3))
        #expect([s.activeWorkers, s.readyWorkers, s.drainingWorkers ?? -1, s.stoppingWorkers] as [Int] == [2, 2, 1, 0])
        #expect(s.drainingWorkers == draining())
    }
}
