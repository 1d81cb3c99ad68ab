import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// `PoolStateMachine.status(now:)` counts its workers in one pass: running,
/// stopping, and the newest keep-alive of any of them.
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
}
