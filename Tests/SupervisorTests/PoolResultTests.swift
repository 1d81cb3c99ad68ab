import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// Every event returns what its owner needs to act, log, emit and count:
/// the supervisor never reads the pool's state to rebuild a decision.
@Suite struct PoolResultTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    /// Workers 101... spawned at 0 and ready at 0.1 (stall_timeout 1 s,
    /// grace 0.5 s, min_uptime and the first backoff 1 s, no jitter).
    func running(_ count: Int) -> PoolStateMachine {
        let spec = TaskSpec(
            name: "T", command: "/bin/true", cardinality: count, stallTimeoutMS: 1000, gracePeriodMS: 500,
            restart: RestartPolicy(backoffResetMS: 0))
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for i in 0..<count {
            _ = p.spawned(pid: pid_t(101 + i), now: t(0))
            p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid_t(101 + i)), now: t(0.1))
        }
        return p
    }

    @Test func anExitComesWithItsKindAndTheStateItEndedIn() throws {
        var p = running(3)
        // Nobody asked: a crash, replaced at once after a long enough run.
        let crashResult = p.exited(pid: 101, status: .exited(code: 2), now: t(5))
        let crash = try #require(crashResult)
        #expect(crash.kind == .crashed)
        #expect(crash.state == .running)
        #expect(crash.result == [.spawn(count: 1)])
        // Stalled: stopped by the pool, so its end counts as a stall whatever its status.
        guard case .stalled = p.checkStall(pid: 102, now: t(5)) else {
            Issue.record("102 did not stall")
            return
        }
        let stallResult = p.exited(pid: 102, status: .signaled(signal: SIGTERM, coreDumped: false), now: t(5.1))
        let stall = try #require(stallResult)
        #expect(stall.kind == .stalled)
        #expect(stall.state == .terminating(killAt: t(5.5).instant))
        // Asked to stop: clean, even when killed.
        _ = p.stop(now: t(6))
        let stoppedResult = p.exited(pid: 103, status: .signaled(signal: SIGKILL, coreDumped: false), now: t(6.6))
        let stopped = try #require(stoppedResult)
        #expect(stopped.kind == .clean)
        #expect(stopped.result == [])
        // The counters agree with what was returned.
        #expect(p.exits.crashed == 1 && p.exits.stalled == 1 && p.exits.clean == 1)
        #expect(p.exited(pid: 103, status: .exited(code: 0), now: t(7)) == nil)
    }

    @Test func aQuickExitReturnsItsBackoffOnce() throws {
        var p = running(2)
        let exitResult = p.exited(pid: 101, status: .exited(code: 1), now: t(0.2))
        let exit = try #require(exitResult)
        #expect(exit.kind == .crashed)
        #expect(exit.result == PoolResult(reports: [.backoff(delay: .seconds(1), until: t(1.2), reason: .quickExit)]))
        // Later events while it lasts neither repeat it nor spawn.
        #expect(p.setCardinality(3, now: t(0.5)) == [])
        #expect(p.tick(now: t(1)) == [])
        #expect(p.tick(now: t(1.2)) == [.spawn(count: 2)])
        // The next quick failure is a new backoff, twice as long.
        _ = p.spawned(pid: 201, now: t(1.3))
        let againResult = p.exited(pid: 201, status: .exited(code: 1), now: t(1.4))
        let again = try #require(againResult)
        #expect(again.result.reports == [.backoff(delay: .seconds(2), until: t(3.4), reason: .quickExit)])
    }

    @Test func aFailedSpawnDropsTheRestAndBacksOff() {
        var p = running(1)
        _ = p.setCardinality(4, now: t(1))
        #expect(p.spawnsInFlight == 3)
        let result = p.spawnFailed(message: "cannot start /x: No such file or directory", now: t(1.1))
        #expect(result.actions == [.cancelSpawns(count: 2)])
        #expect(result.reports == [.backoff(delay: .seconds(1), until: t(2.1), reason: .spawnFailed)])
        // The queue dropped one; the other had begun and is reported later.
        #expect(p.spawnsCancelled(1, now: t(1.1)) == [])
        #expect(p.spawnsInFlight == 1)
    }

    @Test func aStallComesWithItsSilenceAndTheDeadlineItMissed() {
        var p = running(1)
        // One formula: the deadline a keep-alive returns is the one checked.
        let ready = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(0.5))
        #expect(ready.ready == nil)
        #expect(p.stallDeadline(of: 101) == t(1.5).instant)
        #expect(p.checkStall(pid: 101, now: t(1.4)) == .notDue(t(1.5).instant))
        #expect(
            p.checkStall(pid: 101, now: t(1.7))
                == .stalled([.signal(pid: 101, .terminate), .spawn(count: 1)], silence: .milliseconds(1200), deadline: t(1.5).instant))
    }

    @Test func theReadyDeadlineIsTheStallDeadline() {
        let spec = TaskSpec(name: "T", command: "/bin/true", cardinality: 1, stallTimeoutMS: 1000, gracePeriodMS: 500)
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        _ = p.spawned(pid: 101, now: t(0))
        let first = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(0.3))
        #expect(first.ready == t(1.3).instant)
        #expect(first.ready == p.stallDeadline(of: 101))
    }

    @Test func aScaleDownReturnsWhoWasChosenAndWhy() {
        var p = running(2)
        let result = p.setCardinality(1, now: t(1))
        #expect(result.actions == [.signal(pid: 102, .terminate)])
        #expect(result.reports == [.stopChosen(pid: 102, reason: "scale-down: no status", draining: false)])
    }
}
