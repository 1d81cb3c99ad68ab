import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// A manager that did not run for a while pushes stall deadlines back by
/// the time it lost (README, "Faults"), with made-up clock readings.
@Suite struct PauseDetectorTests {
    let origin = ContinuousClock.now
    func t(_ ms: Int) -> ContinuousClock.Instant { origin.advanced(by: .milliseconds(ms)) }

    @Test func aTimerOnTimeOrSlightlyLateIsNoPause() {
        var d = PauseDetector(now: t(0), suspendedSoFar: .zero)
        #expect(d.ran(now: t(100), due: t(100), suspendedSoFar: .zero) == nil)
        #expect(d.ran(now: t(1300), due: t(1100), suspendedSoFar: .zero) == nil)
        // Idle for long with nothing due: no pause either.
        #expect(d.ran(now: t(60_000), due: nil, suspendedSoFar: .zero) == nil)
        #expect(d.ran(now: t(90_000), due: t(100_000), suspendedSoFar: .zero) == nil)
    }

    @Test func aTimerFarLateIsAPauseCountedFromTheLastRun() {
        var d = PauseDetector(now: t(0), suspendedSoFar: .zero)
        #expect(d.ran(now: t(500), due: t(2000), suspendedSoFar: .zero) == nil)
        // Frozen from some time after 500 until 6500; the timer was due at 2000.
        let pause = d.ran(now: t(6500), due: t(2000), suspendedSoFar: .zero)
        #expect(pause == PauseDetector.Pause(lost: .milliseconds(6000), suspended: .zero))
        // Seen once: the next run is normal again.
        #expect(d.ran(now: t(6600), due: t(8000), suspendedSoFar: .zero) == nil)
    }

    @Test func aSuspendIsSeenByTheBootClockRunningAhead() {
        var d = PauseDetector(now: t(0), suspendedSoFar: .seconds(5))
        // The monotonic timer fired on time, but 30 s of suspend passed meanwhile.
        let pause = d.ran(now: t(31_000), due: t(31_000), suspendedSoFar: .seconds(35))
        #expect(pause == PauseDetector.Pause(lost: .seconds(31), suspended: .seconds(30)))
        #expect(d.ran(now: t(31_100), due: nil, suspendedSoFar: .seconds(35)) == nil)
    }

    @Test func theRealClocksShowNoSuspendHere() {
        let suspended = PauseDetector.suspendedSoFar()
        #expect(suspended >= .zero)
        var d = PauseDetector()
        #expect(d.ran(now: .now, due: nil) == nil)
    }

    @Test func stallDeadlinesMoveBackUntilTheNextKeepAlive() {
        let start = Moment.now()
        func at(_ ms: Int) -> Moment { start.advanced(by: .milliseconds(ms)) }
        var p = PoolStateMachine(
            spec: TaskSpec(name: "T", command: "/bin/true", cardinality: 2, stallTimeoutMS: 1000, gracePeriodMS: 100),
            jitter: .fixed(0.5))
        _ = p.start(now: at(0))
        _ = p.spawned(pid: 101, now: at(0))
        _ = p.spawned(pid: 102, now: at(0))
        #expect(p.pushBackStallDeadlines(by: .milliseconds(3000)) == 2)
        #expect(p.stallDeadline(of: 101) == at(4000).instant)
        #expect(p.checkStall(pid: 101, now: at(3000)) == .notDue(at(4000).instant))
        // A keep-alive after the pause counts from itself, as usual.
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 102), now: at(3500))
        #expect(p.stallDeadline(of: 102) == at(4500).instant)
        // A worker that stays silent is still caught, only later (it never
        // sent a keep-alive: as one that did not start in time).
        #expect(p.checkStall(pid: 101, now: at(3999)) == .notDue(at(4000).instant))
        switch p.checkStall(pid: 101, now: at(4000)) {
        case .stalled, .missedStartup: break
        default: Issue.record("101 not stopped at its pushed-back deadline")
        }
        // Workers being stopped are not moved.
        #expect(p.pushBackStallDeadlines(by: .seconds(1)) == 1)
    }
}
