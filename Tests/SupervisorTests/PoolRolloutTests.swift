import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// The rolling restart, decided by the pool state machine: new workers
/// first, old ones stopped only when new ones are ready, halted by a failure.
@Suite struct PoolRolloutTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    /// A running pool of `count` ready workers 101...
    func running(_ count: Int, startup: Int = 5000) -> PoolStateMachine {
        var spec = TaskSpec(name: "T", command: "/bin/true", cardinality: count, stallTimeoutMS: 60000, gracePeriodMS: 500)
        spec.startupTimeoutMS = startup
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for i in 0..<count {
            _ = p.spawned(pid: pid_t(101 + i), now: t(0))
            p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid_t(101 + i)), now: t(0.1))
        }
        return p
    }

    func ready(_ p: inout PoolStateMachine, _ pid: pid_t, at time: Double) -> PoolResult {
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid), now: t(time)).result
    }

    @Test func newFirstThenOldOneByOneAndTheReadyCountNeverDips() {
        var p = running(3)
        let (outcome, result) = p.restart(pace: .init(), now: t(1))
        #expect(outcome == .started)
        #expect(result.actions == [.spawn(count: 1)])
        #expect(result.reports == [.rolloutStarted(.init(), cardinality: 3)])
        #expect(p.rolloutState == .running(replaced: 0, total: 3))
        var next: pid_t = 201
        var stopped: [pid_t] = []
        var reports: [PoolReport] = []
        for step in 0..<3 {
            #expect(p.spawned(pid: next, now: t(2)) == [])
            #expect(p.readyWorkers == 3)
            let follow = ready(&p, next, at: 3)
            // One old worker stopped, and (but for the last) one more new one spawned.
            let old = pid_t(101 + step)
            #expect(follow.actions == [.signal(pid: old, .terminate)] + (step < 2 ? [.spawn(count: 1)] : []))
            #expect(follow.reports.first == .rolloutProgress(replaced: step + 1, total: 3))
            reports += follow.reports
            #expect(p.readyWorkers == 3)
            stopped.append(old)
            next += 1
        }
        #expect(reports.contains(.rolloutProgress(replaced: 3, total: 3)))
        #expect(reports.last == .rolloutFinished(replaced: 3, duration: .seconds(2)))
        #expect(p.rollout == nil)
        #expect(p.rolloutState == nil)
        #expect(stopped == [101, 102, 103])
    }

    @Test func maxUnavailableStopsFirstAndMaxSurgeSpawnsMore() {
        var p = running(4)
        let (_, result) = p.restart(pace: .init(maxSurge: 2, maxUnavailable: 1), now: t(1))
        // One old one may go at once; then up to 2 above the cardinality.
        #expect(result.actions == [.signal(pid: 101, .terminate), .spawn(count: 3)])
        #expect(result.reports == [.rolloutStarted(.init(maxSurge: 2, maxUnavailable: 1), cardinality: 4)])
    }

    @Test func aNewWorkerThatNeverGetsReadyHaltsItAndOldOnesStay() {
        var p = running(3, startup: 1000)
        _ = p.restart(pace: .init(), now: t(1))
        _ = p.spawned(pid: 201, now: t(1))
        guard case .missedStartup(let result, _, _, _) = p.checkStall(pid: 201, now: t(2)) else {
            Issue.record("no startup timeout")
            return
        }
        #expect(result.actions == [.signal(pid: 201, .terminate)])
        #expect(result.reports == [.rolloutFailed(reason: "new worker 201 not ready within startup_timeout (1000 ms)", replaced: 0, total: 3)])
        #expect(p.rolloutState == .failed(reason: "new worker 201 not ready within startup_timeout (1000 ms)"))
        #expect([101, 102, 103].allSatisfy { p.workers[$0]?.isRunning == true })
        #expect(p.readyWorkers == 3)
        // A stop forgets the failure.
        _ = p.stop(now: t(3))
        #expect(p.rolloutState == nil)
    }

    @Test func aNewWorkerThatExitsHaltsIt() {
        var p = running(2)
        _ = p.restart(pace: .init(), now: t(1))
        _ = p.spawned(pid: 201, now: t(1))
        _ = ready(&p, 201, at: 1.1)  // replaces 101
        #expect(p.workers[101]?.isRunning == false)
        _ = p.spawned(pid: 202, now: t(1.2))
        let exit = p.exited(pid: 202, status: .exited(code: 1), now: t(1.3))
        let actions = exit?.actions ?? []
        #expect(exit?.kind == .crashed)
        #expect(exit?.result.reports == [.rolloutFailed(reason: "new worker 202 exited: exit status 1", replaced: 1, total: 2)])
        // The old one left runs on; nothing spawned before the backoff.
        #expect(p.workers[102]?.isRunning == true)
        #expect(actions == [])
    }

    @Test func aSecondRestartIsRefusedAndAStopEndsIt() {
        var p = running(2)
        _ = p.restart(pace: .init(), now: t(1))
        #expect(p.restart(pace: .init(), now: t(1)).0 == .alreadyRestarting)
        let (_, result) = p.stop(now: t(2))
        #expect(Set(result.actions) == [.cancelSpawns(count: 1), .signal(pid: 101, .terminate), .signal(pid: 102, .terminate)])
        #expect(result.reports == [.rolloutFailed(reason: "task stopped", replaced: 0, total: 2)])
        #expect(p.restart(pace: .init(), now: t(3)).0 == .notRunning)
    }

    @Test func aScaleDownDuringARolloutFinishesAtTheNewSize() {
        var p = running(4)
        _ = p.restart(pace: .init(), now: t(1))
        _ = p.spawned(pid: 201, now: t(1))
        _ = ready(&p, 201, at: 1.1)
        _ = p.spawned(pid: 202, now: t(1.2))
        let result = p.setCardinality(1, now: t(1.3))
        // 202 (new, not ready) and every old worker go: 201 alone is left, ready.
        #expect(Set(result.actions) == [.signal(pid: 202, .terminate), .signal(pid: 102, .terminate), .signal(pid: 103, .terminate), .signal(pid: 104, .terminate)])
        #expect(result.reports.last == .rolloutFinished(replaced: 1, duration: .milliseconds(300)))
        #expect(p.readyWorkers == 1)
    }

    @Test func spawnsUnderWayAtTheStartAreOldWorkers() {
        var p = running(2)
        _ = p.setCardinality(3, now: t(0.5))  // a spawn under way
        let (_, result) = p.restart(pace: .init(), now: t(1))
        // Counted as an old worker to come: one new one (the surge) besides.
        #expect(result.actions == [.cancelSpawns(count: 1), .spawn(count: 1)])
        // It had begun: not cancelled. Nothing changed: no further step.
        #expect(p.spawnsCancelled(0, now: t(1)) == [])
        _ = p.spawned(pid: 103, now: t(1.1))
        #expect(p.workers[103]?.generation == 0)
        _ = p.spawned(pid: 201, now: t(1.2))
        #expect(p.workers[201]?.generation == 1)
    }

    /// A spawn under way cannot be dropped: asking again would never end.
    @Test func aScaleDownBelowASpawnUnderWayDoesNotLoop() {
        var p = running(2)
        _ = p.restart(pace: .init(), now: t(1))
        _ = p.spawned(pid: 201, now: t(1))
        _ = ready(&p, 201, at: 1.05)  // 101 stopped, one more spawn under way
        let actions = p.setCardinality(1, now: t(1.1))
        #expect(actions.contains(.cancelSpawns(count: 1)))
        #expect(p.spawnsCancelled(0, now: t(1.1)) == [])
        // It lands: the pool is too large, the newest not-ready one goes.
        #expect(p.spawned(pid: 202, now: t(1.2)).contains(.signal(pid: 202, .terminate)))
    }

    @Test func cancelledSpawnsLetTheRolloutGoOn() {
        var p = running(2)
        _ = p.setCardinality(3, now: t(0.5))
        _ = p.restart(pace: .init(), now: t(1))  // the pending spawn is stale
        // Dropped before it began: room for one more new worker.
        #expect(p.spawnsCancelled(1, now: t(1)) == [.spawn(count: 1)])
    }

    @Test func badPaces() {
        #expect(Rollout.Pace(maxSurge: 0, maxUnavailable: 0).problem != nil)
        #expect(Rollout.Pace(maxSurge: -1, maxUnavailable: 1).problem != nil)
        #expect(Rollout.Pace().problem == nil)
        #expect(Rollout.Pace(maxSurge: 0, maxUnavailable: 1).problem == nil)
    }
}
