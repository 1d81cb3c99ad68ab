import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// Pause and resume in the state machine: SIGSTOP to every worker, deadlines
/// held and restarted from the resume, SIGCONT before any stop signal.
@Suite struct PoolPauseTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    /// Stall timeout 10 s, startup timeout 10 s.
    func running(_ count: Int) -> PoolStateMachine {
        var p = PoolStateMachine(
            spec: TaskSpec(name: "T", command: "/bin/true", cardinality: count, stallTimeoutMS: 10_000), jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for i in 0..<count { _ = p.spawned(pid: pid_t(101 + i), now: t(0)) }
        return p
    }

    @Test func pauseFreezesEveryRunningWorkerOnce() {
        var p = running(2)
        let (outcome, actions) = p.pause(now: t(1))
        #expect(outcome == .paused)
        #expect(actions == [.signal(pid: 101, .freeze), .signal(pid: 102, .freeze)])
        #expect(p.pause(now: t(2)) == (.alreadyPaused, []))
        #expect(p.status(now: t(2)).paused == true)
        var stopped = PoolStateMachine(spec: TaskSpec(name: "S", command: "/bin/true"))
        #expect(stopped.pause(now: t(1)) == (.notRunning, []))
    }

    @Test func noStallOrStartupDeadlineWhilePausedAndAFreshOneFromTheResume() {
        var p = running(2)
        _ = p.keptAlive(.init(taskName: "T", pid: 101), now: t(1))
        _ = p.pause(now: t(2))
        #expect(p.stallDeadline(of: 101) == nil)
        #expect(p.stallDeadline(of: 102) == nil)
        // Long past both deadlines: nothing stalls.
        #expect(p.checkStall(pid: 101, now: t(60)) == .gone)
        #expect(p.checkStall(pid: 102, now: t(60)) == .gone)
        let (outcome, actions) = p.resume(now: t(60))
        #expect(outcome == .resumed)
        #expect(actions == [.signal(pid: 101, .thaw), .signal(pid: 102, .thaw)])
        #expect(p.stallDeadline(of: 101) == t(70).instant)
        #expect(p.stallDeadline(of: 102) == t(70).instant)
        #expect(p.checkStall(pid: 102, now: t(69)) == .notDue(t(70).instant))
        #expect(p.resume(now: t(61)) == (.notPaused, []))
        #expect(p.status(now: t(61)).paused == nil)
    }

    @Test func aWorkerSpawnedWhilePausedIsPausedToo() {
        var p = running(1)
        _ = p.pause(now: t(1))
        _ = p.setCardinality(2, now: t(1))
        #expect(p.spawned(pid: 102, now: t(1.5)) == [.signal(pid: 102, .freeze)])
    }

    @Test func stopAndScaleDownOfAPausedTaskThawBeforeTheStopSignal() {
        var p = running(3)
        _ = p.pause(now: t(1))
        #expect(p.setCardinality(2, now: t(2)).actions == [.signal(pid: 103, .thaw), .signal(pid: 103, .terminate)])
        let (_, actions) = p.stop(now: t(3))
        #expect(actions == [.signal(pid: 101, .thaw), .signal(pid: 101, .terminate), .signal(pid: 102, .thaw), .signal(pid: 102, .terminate)])
        #expect(!p.isPaused)
    }

    @Test func aPausedTaskIsNotRestarted() {
        var p = running(1)
        _ = p.pause(now: t(1))
        #expect(p.restart(pace: Rollout.Pace(), now: t(2)) == (.paused, []))
    }

    @Test func aRestoredPauseFreezesTheFirstWorkers() {
        var p = PoolStateMachine(spec: TaskSpec(name: "T", command: "/bin/true"), jitter: .fixed(0.5))
        p.restorePause(now: t(0))
        #expect(p.start(now: t(0)).1 == [.spawn(count: 1)])
        #expect(p.spawned(pid: 101, now: t(0.1)) == [.signal(pid: 101, .freeze)])
        #expect(p.stallDeadline(of: 101) == nil)
    }
}
