import Foundation
import SystemHelpers
import Testing

import KeepAlive

@testable import Supervisor

/// Drives the pool state machine with no I/O and a hand-made clock: every
/// (phase, worker state) × event pair is decided here.
@Suite struct PoolStateMachineTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    /// No jitter: the restart backoff is exactly 1 s, 2 s, 4 s ... (60 s at
    /// most); `backoff_reset` 0 (only `min_uptime` counts: PoolBackoffResetTests has the rest).
    func pool(cardinality: Int = 2, grace: Int = 500) -> PoolStateMachine {
        PoolStateMachine(
            spec: TaskSpec(
                name: "T", command: "/bin/true", cardinality: cardinality, gracePeriodMS: grace,
                restart: RestartPolicy(backoffResetMS: 0)),
            jitter: .fixed(0.5))
    }

    /// A running pool with workers 101... spawned at `at`.
    func running(_ count: Int, grace: Int = 500, at: Double = 0) -> PoolStateMachine {
        var p = pool(cardinality: count, grace: grace)
        let (outcome, actions) = p.start(now: t(at))
        #expect(outcome == .started)
        #expect(actions == (count > 0 ? [.spawn(count: count)] : []))
        for i in 0..<count { #expect(p.spawned(pid: pid_t(101 + i), now: t(at)) == []) }
        return p
    }

    func states(_ p: PoolStateMachine) -> [pid_t: WorkerRecord.State] { p.workers.mapValues(\.state) }

    // MARK: start

    @Test func startFromStoppedSpawnsCardinality() {
        var p = pool(cardinality: 3)
        let (outcome, actions) = p.start(now: t(0))
        #expect(outcome == .started)
        #expect(actions == [.spawn(count: 3)])
        #expect(p.phase == .running)
        #expect(p.startedAt == t(0))
    }

    @Test func startWhileRunningChangesNothing() {
        var p = running(2)
        let (outcome, actions) = p.start(now: t(5))
        #expect(outcome == .alreadyRunning)
        #expect(actions == [])
        #expect(p.startedAt == t(0))
    }

    @Test func startWhileOldWorkersTerminateSpawnsAFreshSetAndResetsCounters() {
        var p = running(2)
        _ = p.stop(now: t(1))
        #expect(p.exited(pid: 101, status: .exited(code: 0), now: t(1.1))?.actions == [])
        let (outcome, actions) = p.start(now: t(1.2))
        #expect(outcome == .started)
        #expect(actions == [.spawn(count: 2)])
        #expect(p.deadWorkers == 0)
        // The worker of the previous run still terminating is not counted in this run.
        _ = p.spawned(pid: 201, now: t(1.2))
        _ = p.spawned(pid: 202, now: t(1.2))
        #expect(p.exited(pid: 102, status: .exited(code: 0), now: t(1.3))?.actions == [])
        #expect(p.deadWorkers == 0)
        #expect(p.activeWorkers == 2)
    }

    // MARK: stop

    @Test func stopTerminatesEveryRunningWorkerWithADeadline() {
        var p = running(3, grace: 500)
        let (outcome, actions) = p.stop(now: t(2))
        #expect(outcome == .stopped)
        #expect(actions == [.signal(pid: 101, .terminate), .signal(pid: 102, .terminate), .signal(pid: 103, .terminate)])
        #expect(p.phase == .stopped)
        #expect(p.startedAt == nil)
        #expect(p.activeWorkers == 0)
        #expect(p.nextDeadline == t(2.5).instant)
    }

    @Test func stopWhenStoppedIsRefused() {
        var p = pool()
        let (outcome, actions) = p.stop(now: t(0))
        #expect(outcome == .notRunning)
        #expect(actions == [])
    }

    @Test func stopLeavesAlreadyTerminatingWorkersOnTheirDeadline() {
        var p = running(2, grace: 500)
        _ = p.setCardinality(1, now: t(1))  // 102 terminating, kill at 1.5
        let (_, actions) = p.stop(now: t(1.2))
        #expect(actions == [.signal(pid: 101, .terminate)])
        #expect(states(p)[102] == .terminating(killAt: t(1.5).instant))
        #expect(p.nextDeadline == t(1.5).instant)
    }

    // MARK: cardinality

    @Test func scaleUpSpawnsTheDifference() {
        var p = running(1)
        #expect(p.setCardinality(50, now: t(1)) == [.spawn(count: 49)])
        #expect(p.cardinality == 50)
    }

    @Test func scaleDownStopsTheNewestWorkers() {
        var p = running(3)
        let actions = p.setCardinality(1, now: t(1))
        #expect(Set(actions) == [.signal(pid: 103, .terminate), .signal(pid: 102, .terminate)])
        #expect(states(p)[101] == .running)
        #expect(p.activeWorkers == 1)
    }

    @Test func scaleToZeroStopsAllAndKeepsRunning() {
        var p = running(10)
        #expect(p.setCardinality(0, now: t(1)).actions.count == 10)
        #expect(p.phase == .running)
        #expect(p.activeWorkers == 0)
        // Nothing is spawned when they exit.
        #expect(p.exited(pid: 101, status: .signaled(signal: SIGTERM, coreDumped: false), now: t(1.1))?.actions == [])
    }

    @Test func sameCardinalityDoesNothing() {
        var p = running(2)
        #expect(p.setCardinality(2, now: t(1)) == [])
    }

    @Test func cardinalityOfAStoppedPoolIsKeptForTheNextStart() {
        var p = pool(cardinality: 1)
        #expect(p.setCardinality(5, now: t(0)) == [])
        #expect(p.start(now: t(1)).1 == [.spawn(count: 5)])
        #expect(p.stop(now: t(2)).1 == [.cancelSpawns(count: 5)])
        p.spawnsCancelled(5)
        #expect(p.start(now: t(3)).1 == [.spawn(count: 5)])
    }

    @Test func scaleUpWhileWorkersTerminateCountsOnlyRunningOnes() {
        var p = running(3)
        _ = p.setCardinality(1, now: t(1))
        #expect(p.setCardinality(3, now: t(1.1)) == [.spawn(count: 2)])
    }

    // MARK: spawned / spawnFailed

    @Test func spawnedAfterStopIsTerminated() {
        var p = running(1)
        _ = p.stop(now: t(1))
        #expect(p.spawned(pid: 300, now: t(1)) == [.signal(pid: 300, .terminate)])
    }

    @Test func spawnFailureHoldsSpawnsForASecondAndIsShown() {
        var p = pool(cardinality: 2)
        _ = p.start(now: t(0))
        // The first spawn fails; the pool drops the second with it and backs off.
        #expect(
            p.spawnFailed(message: "cannot start /x: Permission denied", now: t(0))
                == PoolResult(
                    actions: [.cancelSpawns(count: 1)],
                    reports: [.backoff(delay: .seconds(1), until: t(1), reason: .spawnFailed)]))
        #expect(p.spawnsCancelled(1, now: t(0)) == [])
        #expect(p.spawnsInFlight == 0)
        #expect(p.lastSpawnError?.message == "cannot start /x: Permission denied")
        #expect(p.nextDeadline == t(1).instant)
        #expect(p.tick(now: t(0.5)) == [])
        #expect(p.tick(now: t(1)) == [.spawn(count: 2)])
        // A success clears the error.
        _ = p.spawned(pid: 5, now: t(1))
        #expect(p.lastSpawnError == nil)
    }

    @Test func spawnFailureOfAStoppedPoolSchedulesNothing() {
        var p = running(1)
        _ = p.stop(now: t(1))
        #expect(p.spawnFailed(message: "x", now: t(1)) == [])
        #expect(p.spawnNotBefore == nil)
    }

    // MARK: spawns under way

    @Test func spawnsUnderWayCountTowardTheCardinality() {
        var p = pool(cardinality: 3)
        #expect(p.start(now: t(0)).1 == [.spawn(count: 3)])
        #expect(p.spawnsInFlight == 3)
        // Events before the spawns are reported ask for nothing more.
        #expect(p.tick(now: t(0.1)) == [])
        #expect(p.setCardinality(3, now: t(0.1)) == [])
        #expect(p.spawned(pid: 101, now: t(0.2)) == [])
        #expect(p.setCardinality(5, now: t(0.3)) == [.spawn(count: 2)])
        #expect(p.spawnsInFlight == 4)
    }

    @Test func scaleDownDropsSpawnsNotBegunThenStopsTheNewest() {
        var p = running(2)
        _ = p.setCardinality(6, now: t(1))  // 4 under way
        #expect(p.setCardinality(3, now: t(1.1)) == [.cancelSpawns(count: 3)])
        p.spawnsCancelled(2)  // one had begun and lands later
        #expect(p.spawnsInFlight == 2)
        // Still one too many: drop another if it has not begun.
        #expect(p.spawned(pid: 201, now: t(1.2)) == [.cancelSpawns(count: 1)])
        p.spawnsCancelled(0)
        // One too many: the newest, which just landed, is stopped.
        #expect(p.spawned(pid: 202, now: t(1.3)).actions == [.signal(pid: 202, .terminate)])
        #expect(p.activeWorkers == 3)
    }

    @Test func stopDropsSpawnsNotBegun() {
        var p = running(1)
        _ = p.setCardinality(3, now: t(1))
        let (_, actions) = p.stop(now: t(2))
        #expect(actions == [.cancelSpawns(count: 2), .signal(pid: 101, .terminate)])
        p.spawnsCancelled(2)
        #expect(p.spawnsInFlight == 0)
    }

    @Test func aFailedSpawnAndTheDroppedRestAreNoLongerUnderWay() {
        var p = pool(cardinality: 4)
        _ = p.start(now: t(0))
        _ = p.spawned(pid: 101, now: t(0))
        #expect(p.spawnFailed(message: "x", now: t(0)).actions == [.cancelSpawns(count: 2)])
        #expect(p.spawnsCancelled(2, now: t(0)) == [])
        #expect(p.spawnsInFlight == 0)
        #expect(p.tick(now: t(1)) == [.spawn(count: 3)])
    }

    // MARK: exited

    @Test func exitOfALongRunningWorkerIsReplacedAtOnce() {
        var p = running(2)
        #expect(p.exited(pid: 101, status: .exited(code: 1), now: t(5))?.actions == [.spawn(count: 1)])
        #expect(p.deadWorkers == 1)
        #expect(p.lastExit?.status == .exited(code: 1))
    }

    @Test func aQuickExitWaitsForTheBackoff() {
        var p = running(1, at: 0)
        #expect(p.exited(pid: 101, status: .exited(code: 0), now: t(0.2))?.actions == [])
        #expect(p.nextDeadline == t(1.2).instant)
        #expect(p.status(now: t(0.2)).backoffReason == "exit status 0")
        #expect(p.tick(now: t(1.1)) == [])
        #expect(p.tick(now: t(1.2)) == [.spawn(count: 1)])
    }

    /// The backoff's reason is the last failure's kind, not whether a spawn
    /// error is still on show (it stays until a spawn succeeds).
    @Test func aQuickExitAfterAFailedSpawnIsAQuickExit() {
        var p = pool(cardinality: 2)
        _ = p.start(now: t(0))
        #expect(p.spawned(pid: 101, now: t(0)) == [])
        #expect(p.spawnFailed(message: "cannot start /x: Permission denied", now: t(0)).actions == [])
        #expect(p.lastFailure?.spawnFailed == true)
        #expect(p.exited(pid: 101, status: .exited(code: 3), now: t(0.2))?.actions == [])
        #expect(p.lastSpawnError != nil)
        #expect(p.lastFailure?.spawnFailed == false)
        #expect(p.lastFailure?.reason == "exit status 3")
    }

    // MARK: restart backoff

    /// Quick failures in a row double the wait (1, 2, 4 ... s), whatever
    /// failed: an exit or a spawn.
    @Test func quickFailuresInARowDoubleTheWaitUpToTheCap() throws {
        var p = running(1, at: 0)
        var now = 0.5
        func wait() throws -> Double {
            Double(t(now).instant.duration(to: try #require(p.nextDeadline)).milliseconds) / 1000
        }
        _ = p.exited(pid: 101, status: .exited(code: 1), now: t(now))
        var waits = [try wait()]
        for round in 1..<9 {
            now += waits.last!
            #expect(p.tick(now: t(now)) == [.spawn(count: 1)])
            if round % 3 == 0 {
                _ = p.spawnFailed(message: "cannot start /x: Permission denied", now: t(now))
            } else {
                let pid = pid_t(200 + round)
                _ = p.spawned(pid: pid, now: t(now))
                now += 0.1
                _ = p.exited(pid: pid, status: .exited(code: 1), now: t(now))
            }
            waits.append(try wait())
        }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60, 60])
        #expect(p.quickFailures == 9)
        #expect(p.status(now: t(now)).backoffReason == "exit status 1")
    }

    @Test func aWorkerThatOutlivesMinUptimeIsReplacedAtOnceAndResetsTheCount() {
        var p = running(1, at: 0)
        _ = p.exited(pid: 101, status: .exited(code: 1), now: t(0.1))
        _ = p.tick(now: t(1.1))
        _ = p.spawned(pid: 102, now: t(1.1))
        #expect(p.quickFailures == 1)
        // Lived 5 s: not a failure, replaced at once.
        #expect(p.exited(pid: 102, status: .exited(code: 1), now: t(6.1))?.actions == [.spawn(count: 1)])
        #expect(p.quickFailures == 0)
        #expect(p.status(now: t(6.1)).backoffReason == nil)
    }

    @Test func aStableRunOfAnotherWorkerStartsTheCountOver() {
        var p = running(2, at: 0)
        _ = p.exited(pid: 101, status: .exited(code: 1), now: t(0.1))
        _ = p.tick(now: t(1.1))
        _ = p.spawned(pid: 103, now: t(1.1))
        _ = p.exited(pid: 103, status: .exited(code: 1), now: t(1.2))
        #expect(p.quickFailures == 2)
        _ = p.tick(now: t(3.2))
        _ = p.spawned(pid: 104, now: t(3.2))
        // 104 has run 1 s (min_uptime) since the last failure: stable.
        _ = p.exited(pid: 102, status: .exited(code: 1), now: t(4.3))  // 102 is old, so this is no quick failure either
        #expect(p.quickFailures == 0)
        _ = p.tick(now: t(4.3))
        _ = p.spawned(pid: 105, now: t(4.3))
        _ = p.exited(pid: 105, status: .signaled(signal: SIGSEGV, coreDumped: false), now: t(4.4))
        #expect(p.quickFailures == 1)
        #expect(p.nextDeadline == t(5.4).instant)
    }

    @Test func aStopAndStartForgetsTheFailures() {
        var p = running(1, at: 0)
        _ = p.exited(pid: 101, status: .exited(code: 1), now: t(0.1))
        _ = p.stop(now: t(0.2))
        #expect(p.start(now: t(0.3)).1 == [.spawn(count: 1)])
        #expect(p.quickFailures == 0)
    }

    @Test func jitterStaysWithinTwentyPercentAndUnderTheCap() {
        let policy = RestartPolicy(minUptimeMS: 1000, initialBackoffMS: 1000, maxBackoffMS: 60_000)
        var source = JitterSource(seed: 42)
        var seen: Set<Int64> = []
        for failures in 1...12 {
            let nominal = min(60_000.0, 1000.0 * Double(1 << (failures - 1)))
            for _ in 0..<50 {
                let ms = Double(policy.delay(afterFailures: failures, unit: source.unit()).milliseconds)
                #expect(ms >= nominal * 0.8 - 1 && ms <= min(nominal * 1.2, 60_000) + 1)
                seen.insert(Int64(ms))
            }
        }
        // It does vary.
        #expect(seen.count > 100)
    }

    @Test func exitOfATerminatingWorkerIsNotReplaced() {
        var p = running(2)
        _ = p.setCardinality(1, now: t(1))
        #expect(p.exited(pid: 102, status: .signaled(signal: SIGTERM, coreDumped: false), now: t(1.1))?.actions == [])
        #expect(p.deadWorkers == 1)
        #expect(p.workers.count == 1)
        #expect(p.nextDeadline == nil)
    }

    @Test func exitOfAKilledWorkerIsNotReplaced() {
        var p = running(2, grace: 100)
        _ = p.setCardinality(1, now: t(1))
        #expect(p.tick(now: t(1.1)) == [.signal(pid: 102, .kill)])
        #expect(p.exited(pid: 102, status: .signaled(signal: SIGKILL, coreDumped: false), now: t(1.2))?.actions == [])
        #expect(p.activeWorkers == 1)
    }

    @Test func exitOfAWorkerAfterStopIsCountedAndNotReplaced() {
        var p = running(1)
        _ = p.stop(now: t(1))
        #expect(p.exited(pid: 101, status: .exited(code: 0), now: t(1.1))?.actions == [])
        #expect(p.deadWorkers == 1)
        #expect(p.workers.isEmpty)
    }

    @Test func exitOfAnUnknownPidIsNotThisPools() {
        var p = running(1)
        #expect(p.exited(pid: 999, status: .exited(code: 0), now: t(1)) == nil)
        #expect(p.deadWorkers == 0)
    }

    // MARK: tick

    @Test func tickBeforeTheGraceDeadlineDoesNothingAfterItKills() {
        var p = running(1, grace: 500)
        _ = p.stop(now: t(1))
        #expect(p.tick(now: t(1.4)) == [])
        #expect(p.tick(now: t(1.5)) == [.signal(pid: 101, .kill)])
        #expect(states(p)[101] == .killed)
        #expect(p.nextDeadline == nil)
        // A killed worker is not killed twice.
        #expect(p.tick(now: t(3)) == [])
    }

    @Test func tickOfAStoppedPoolNeverSpawns() {
        var p = pool()
        #expect(p.tick(now: t(10)) == [])
    }

    @Test func tickOfARunningPoolRefillsIt() {
        var p = running(2)
        _ = p.exited(pid: 101, status: .exited(code: 0), now: t(0.5))  // young: held until t(1.5)
        #expect(p.tick(now: t(1.4)) == [])
        #expect(p.tick(now: t(1.5)) == [.spawn(count: 1)])
    }

    // MARK: killAll, keptAlive

    @Test func killAllKillsRunningAndTerminatingWorkersOnce() {
        var p = running(2)
        _ = p.setCardinality(1, now: t(1))
        #expect(Set(p.killAll()) == [.signal(pid: 101, .kill), .signal(pid: 102, .kill)])
        #expect(p.killAll() == [])
    }

    @Test func keepAliveUpdatesOnlyKnownWorkers() {
        var p = running(1)
        let first = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(3))
        let unknown = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 999), now: t(3))
        #expect(first.first)
        #expect(first.ready != nil)
        #expect(!unknown.first)
        #expect(p.workers[101]?.lastAliveAt == t(3).date)
        #expect(p.workers.count == 1)
        #expect(p.status(now: t(4)).lastAliveAt == t(3).date)
    }

    // MARK: status

    @Test func statusOfRunningAndStoppedPools() {
        var p = running(2)
        _ = p.exited(pid: 101, status: .exited(code: 3), now: t(2))
        let s = p.status(now: t(2))
        #expect(s.running)
        #expect(s.activeWorkers == 1)
        #expect(s.cardinality == 2)
        #expect(s.deadWorkers == 1)
        #expect(s.startedAt == t(0).date)
        #expect(s.lastAliveAt == t(0).date)  // no keep-alive yet: the start time
        #expect(s.lastExit == "exit status 3")
        _ = p.stop(now: t(3))
        let stopped = p.status(now: t(3))
        #expect(!stopped.running)
        #expect(stopped.startedAt == nil)
        #expect(stopped.lastAliveAt == nil)
        #expect(stopped.stoppingWorkers == 1)
    }
}

/// Stall detection: (worker state) × (keep-alive, deadline) decided.
@Suite struct PoolStallTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    func running(_ count: Int, stall: Int = 1000, grace: Int = 500) -> PoolStateMachine {
        var p = PoolStateMachine(
            spec: TaskSpec(name: "T", command: "/bin/true", cardinality: count, stallTimeoutMS: stall, gracePeriodMS: grace))
        _ = p.start(now: t(0))
        for i in 0..<count { _ = p.spawned(pid: pid_t(101 + i), now: t(0)) }
        return p
    }

    @Test func deadlineCountsFromStartThenFromTheLastKeepAlive() {
        // (startup_timeout defaults to stall_timeout)
        var p = running(1)
        #expect(p.stallDeadline(of: 101) == t(1).instant)
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(0.7))
        #expect(p.stallDeadline(of: 101) == t(1.7).instant)
        #expect(p.checkStall(pid: 101, now: t(1)) == .notDue(t(1.7).instant))
    }

    @Test func aSilentWorkerIsStoppedCountedAndReplaced() {
        var p = running(2)
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101), now: t(0))
        let check = p.checkStall(pid: 101, now: t(1))
        #expect(check == .stalled([.signal(pid: 101, .terminate), .spawn(count: 1)], silence: .seconds(1), deadline: t(1).instant))
        #expect(p.stalledWorkers == 1)
        #expect(p.workers[101]?.state == .terminating(killAt: t(1.5).instant))
        _ = p.spawned(pid: 201, now: t(1))
        // Then SIGKILL after the grace period, and its exit is counted as stalled.
        #expect(p.tick(now: t(1.5)) == [.signal(pid: 101, .kill)])
        _ = p.exited(pid: 101, status: .signaled(signal: SIGKILL, coreDumped: false), now: t(1.6))
        #expect(p.exits.stalled == 1)
        #expect(p.deadWorkers == 1)
    }

    @Test func workersThatAreNotRunningAreNotWatched() {
        var p = running(2)
        _ = p.setCardinality(1, now: t(0.5))  // 102 terminating
        #expect(p.checkStall(pid: 102, now: t(5)) == .gone)
        #expect(p.checkStall(pid: 999, now: t(5)) == .gone)
        _ = p.stop(now: t(0.6))
        #expect(p.checkStall(pid: 101, now: t(5)) == .gone)
    }

    @Test func aStallOfAPoolScaledToZeroSpawnsNothing() {
        var p = running(1)
        _ = p.setCardinality(0, now: t(0.1))
        #expect(p.checkStall(pid: 101, now: t(2)) == .gone)
    }

    @Test func exitKinds() {
        var p = running(5)
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101, status: .stopping), now: t(0.1))
        _ = p.exited(pid: 101, status: .signaled(signal: SIGKILL, coreDumped: false), now: t(2))
        _ = p.exited(pid: 102, status: .exited(code: 0), now: t(2))
        _ = p.exited(pid: 103, status: .exited(code: 2), now: t(2))
        _ = p.exited(pid: 104, status: .signaled(signal: SIGSEGV, coreDumped: true), now: t(2))
        _ = p.setCardinality(0, now: t(2))
        _ = p.exited(pid: 105, status: .signaled(signal: SIGTERM, coreDumped: false), now: t(2.1))
        var expected = ExitCounts()
        expected.clean = 3
        expected.crashed = 1
        expected.signaled = 1
        #expect(p.exits == expected)
    }
}
