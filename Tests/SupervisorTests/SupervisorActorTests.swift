import Foundation
import Testing

@testable import Supervisor

/// The real `Supervisor` actor, driven with a manual clock and fake
/// processes (SupervisorHarness): from a keep-alive to a stalled worker's
/// stop signal, SIGKILL, reap and replacement; scaling, backoff, stop,
/// shutdown, leftover process groups and reused pids. No process runs and
/// no test sleeps: time moves only when a test says so.
@Suite struct SupervisorActorTests {
    func spec(
        _ name: String = "T", cardinality: Int = 1, stall: Int = 1_000, grace: Int = 500, stopSignal: Int32 = SIGTERM
    ) -> TaskSpec {
        var spec = TaskSpec(
            name: name, command: "/bin/true", cardinality: cardinality, stallTimeoutMS: stall, gracePeriodMS: grace,
            restart: RestartPolicy(minUptimeMS: 1_000, initialBackoffMS: 1_000, backoffResetMS: 0))
        spec.launch.stopSignal = stopSignal
        return spec
    }

    /// A started task whose workers have spawned (and sent a first keep-alive when `ready`).
    func running(_ h: SupervisorHarness, _ name: String = "T", ready: Bool = true) async throws -> [pid_t] {
        #expect(try await h.supervisor.start(name) == .started)
        let pids = await h.startSpawns()
        if ready { for pid in pids { await h.keepAlive(name, pid) } }
        return pids
    }

    // MARK: keep-alive, stall, stop signal, grace, SIGKILL, reap, respawn

    @Test func keepAlivesHoldTheStallOffWithoutTouchingTheSchedule() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h)[0]
        let stall = await h.supervisor.stallDeadline("T", pid)
        #expect(stall == h.timer.origin.instant.advanced(by: .seconds(1)))
        for _ in 0..<9 {
            try await h.advance(.milliseconds(100))
            await h.keepAlive("T", pid)
            // Only the worker's last keep-alive moves: no deadline, no timer.
            #expect(await h.supervisor.stallDeadline("T", pid) == stall)
            #expect(h.timer.armedAt == stall)
        }
        // The deadline comes, finds the later one, and moves there.
        try await h.advance(.milliseconds(500))
        #expect(h.signals() == [])
        #expect(await h.supervisor.stallDeadline("T", pid) == h.timer.origin.instant.advanced(by: .milliseconds(1_900)))
        #expect(await h.workers("T") == [pid: .running])
    }

    @Test func aStalledWorkerGetsTheStopSignalThenSIGKILLAndIsReplaced() async throws {
        let h = try SupervisorHarness([spec(stopSignal: SIGINT)])
        let pid = try await running(h)[0]
        try await h.advance(.milliseconds(999))
        #expect(h.signals() == [])
        try await h.advance(.milliseconds(1))
        // The task's stop_signal, to the worker's process group; its replacement is asked for at once.
        #expect(h.signals() == [.group(pid, SIGINT)])
        #expect(await h.supervisor.pool(named: "T")?.stalledWorkers == 1)
        #expect(h.processes.waitingSpawns == 1)
        let replacement = await h.startSpawns()
        #expect(replacement.count == 1)
        // The grace period runs out: SIGKILL.
        try await h.advance(.milliseconds(499))
        #expect(h.signals() == [])
        try await h.advance(.milliseconds(1))
        #expect(h.signals() == [.group(pid, SIGKILL)])
        await h.exit(pid, status: WaitStatus.killed(by: SIGKILL))
        #expect(await h.workers("T") == [replacement[0]: .running])
        #expect(await h.supervisor.pool(named: "T")?.exits.stalled == 1)
        #expect(await h.supervisor.liveProcesses == 1)
        #expect(h.processes.waitingSpawns == 0)
    }

    @Test func workersStallingTogetherAllGetTheirSignalBeforeAnySearchForEscapedDescendants() async throws {
        let h = try SupervisorHarness([spec(cardinality: 3)])
        let pids = try await running(h).sorted()
        // As the subreaper, the manager looks for escaped descendants after the signals.
        await h.supervisor.adoptOrphansForTest()
        _ = h.processes.takeSteps()
        try await h.advance(.seconds(1))
        let steps = h.processes.takeSteps()
        #expect(Set(steps.prefix(3)) == Set(pids.map { "signal \($0)" }))
        #expect(Set(steps.dropFirst(3)) == Set(pids.map { "search \($0)" }))
        #expect(await h.supervisor.pool(named: "T")?.stalledWorkers == 3)
    }

    @Test func withoutOrphansToAdoptTheSearchComesBeforeTheSignal() async throws {
        let h = try SupervisorHarness([spec(cardinality: 2)])
        let pids = try await running(h).sorted()
        _ = h.processes.takeSteps()
        try await h.advance(.seconds(1))
        // Not the subreaper: a descendant left behind would be init's, so it is found first.
        let steps = h.processes.takeSteps()
        #expect(steps.count == 4)
        for pid in pids {
            let search = try #require(steps.firstIndex(of: "search \(pid)"))
            let signal = try #require(steps.firstIndex(of: "signal \(pid)"))
            #expect(search < signal)
        }
    }

    @Test func aWorkerThatEndsWithinTheGracePeriodGetsNoSIGKILL() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h)[0]
        #expect(try await h.supervisor.stop("T") == .stopped)
        #expect(h.signals() == [.group(pid, SIGTERM)])
        try await h.advance(.milliseconds(200))
        await h.exit(pid, status: WaitStatus.killed(by: SIGTERM))
        try await h.advance(.seconds(5))
        #expect(h.signals() == [])
        #expect(await h.supervisor.liveProcesses == 0)
        // A stopped task is not refilled.
        #expect(h.processes.waitingSpawns == 0)
    }

    @Test func aWorkerThatDiesIsReapedAndReplaced() async throws {
        let h = try SupervisorHarness([spec(cardinality: 2)])
        let pids = try await running(h)
        try await h.advance(.milliseconds(900))
        for pid in pids { await h.keepAlive("T", pid) }
        // After min_uptime: no backoff.
        try await h.advance(.milliseconds(200))
        await h.exit(pids[0], status: WaitStatus.exited(3))
        #expect(await h.supervisor.owners[pids[0]] == nil)
        #expect(h.processes.waitingSpawns == 1)
        let replacement = await h.startSpawns()
        #expect(Set(await h.workers("T").keys) == [pids[1], replacement[0]])
        #expect(await h.supervisor.pool(named: "T")?.deadWorkers == 1)
    }

    // MARK: scale, backoff

    @Test func scalingUpSpawnsAndScalingDownStopsTheNewest() async throws {
        let h = try SupervisorHarness([spec(cardinality: 1)])
        let first = try await running(h)[0]
        try await h.supervisor.setCardinality("T", to: 3)
        let added = await h.startSpawns()
        #expect(added.count == 2)
        for pid in added { await h.keepAlive("T", pid) }
        try await h.supervisor.setCardinality("T", to: 1)
        let signals = h.signals()
        #expect(Set(signals) == Set(added.map { .group($0, SIGTERM) }))
        #expect(await h.workers("T")[first] == .running)
        for pid in added { await h.exit(pid) }
        #expect(Set(await h.workers("T").keys) == [first])
        #expect(h.processes.waitingSpawns == 0)
    }

    @Test func aQuickExitHoldsTheNextSpawnBackForTheBackoff() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h, ready: false)[0]
        try await h.advance(.milliseconds(100))
        await h.exit(pid, status: WaitStatus.exited(1))
        // 1 s, give or take the 20 % jitter.
        let until = try #require(await h.supervisor.pool(named: "T")?.spawnNotBefore)
        let delay = h.timer.now().instant.duration(to: until)
        #expect(delay >= .milliseconds(800) && delay <= .milliseconds(1_200))
        #expect(h.processes.waitingSpawns == 0)
        try await h.advance(delay - .milliseconds(1))
        #expect(h.processes.waitingSpawns == 0)
        try await h.advance(.milliseconds(1))
        #expect(h.processes.waitingSpawns == 1)
        #expect(await h.startSpawns().count == 1)
    }

    @Test func aFailedSpawnIsRetriedAfterTheBackoff() async throws {
        let h = try SupervisorHarness([spec()])
        h.processes.failSpawns("no such file")
        #expect(try await h.supervisor.start("T") == .started)
        #expect(await h.startSpawns() == [])
        #expect(await h.supervisor.pool(named: "T")?.lastSpawnError?.message == "no such file")
        h.processes.failSpawns(nil)
        try await h.advance(.milliseconds(799))
        #expect(h.processes.waitingSpawns == 0)
        try await h.advance(.milliseconds(401))
        #expect(await h.startSpawns().count == 1)
    }

    // MARK: leftover process groups, reused pids

    @Test func aGroupLeftByAStoppedWorkerGetsSIGKILLAtItsDeadline() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h)[0]
        _ = try await h.supervisor.stop("T")
        #expect(h.signals() == [.group(pid, SIGTERM)])
        try await h.advance(.milliseconds(100))
        await h.exit(pid, leavesGroup: true)
        #expect(await h.supervisor.lingeringGroups == [pid])
        #expect(await h.supervisor.liveProcesses == 1)
        try await h.advance(.milliseconds(399))
        #expect(h.signals() == [])
        try await h.advance(.milliseconds(1))
        #expect(h.signals() == [.group(pid, SIGKILL)])
        #expect(await h.supervisor.liveProcesses == 0)
    }

    @Test func aGroupLeftByAWorkerThatDiedOnItsOwnGetsSIGKILLAtOnce() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h)[0]
        try await h.advance(.milliseconds(500))
        await h.exit(pid, status: WaitStatus.exited(0), leavesGroup: true)
        #expect(h.signals() == [.group(pid, SIGKILL)])
        #expect(await h.supervisor.lingeringGroups == [])
    }

    @Test func aGroupNumberReusedByANewWorkerIsNeverKilled() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h)[0]
        _ = try await h.supervisor.stop("T")
        await h.exit(pid, leavesGroup: true)
        #expect(await h.supervisor.lingeringGroups == [pid])
        // What was left of the group ends; the number comes back for a new worker.
        h.processes.emptyGroup(pid)
        h.processes.reusePids([pid])
        #expect(try await h.supervisor.start("T") == .started)
        #expect(await h.startSpawns() == [pid])
        await h.keepAlive("T", pid)
        #expect(await h.supervisor.lingeringGroups == [])
        _ = h.signals()
        try await h.advance(.milliseconds(600))
        #expect(h.signals().filter { $0.signal == SIGKILL } == [])
        #expect(await h.workers("T")[pid] == .running)
    }

    @Test func aGroupNumberReusedByAWorkerNotReportedYetIsNeverKilled() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h)[0]
        _ = try await h.supervisor.stop("T")
        await h.exit(pid, leavesGroup: true)
        h.processes.emptyGroup(pid)
        h.processes.reusePids([pid])
        #expect(try await h.supervisor.start("T") == .started)
        // Spawned on the spawner thread, its result not taken yet when the deadline comes.
        let results = h.processes.startSpawns(at: h.timer.now())
        _ = h.signals()
        try await h.advance(.milliseconds(500))
        #expect(await h.supervisor.lingeringGroups == [])
        #expect(h.signals() == [])
        for result in results { await h.supervisor.spawnFinished(result) }
        await h.keepAlive("T", pid)
        try await h.advance(.milliseconds(500))
        #expect(h.signals().filter { $0.signal == SIGKILL } == [])
        #expect(await h.workers("T")[pid] == .running)
    }

    // MARK: pause, drain, rolling restart

    @Test func aPauseStopsTheGroupsAndHoldsTheStallDeadlinesUntilResumed() async throws {
        let h = try SupervisorHarness([spec()])
        let pid = try await running(h)[0]
        try await h.advance(.milliseconds(100))
        #expect(try await h.supervisor.pause("T") == .paused)
        #expect(h.signals() == [.group(pid, SIGSTOP)])
        try await h.advance(.seconds(5))
        #expect(h.signals() == [])
        #expect(try await h.supervisor.resume("T") == .resumed)
        #expect(h.signals() == [.group(pid, SIGCONT)])
        // The stall deadline counts afresh from the resume.
        try await h.advance(.milliseconds(999))
        #expect(h.signals() == [])
        try await h.advance(.milliseconds(1))
        #expect(h.signals() == [.group(pid, SIGTERM)])
    }

    @Test func aDrainSignalComesFirstAndTheStopSignalAtTheDrainTimeout() async throws {
        var drained = spec()
        drained.drain = DrainSettings(signal: SIGUSR1, timeoutMS: 2_000)
        let h = try SupervisorHarness([drained])
        let pid = try await running(h)[0]
        _ = try await h.supervisor.stop("T")
        #expect(h.signals() == [.group(pid, SIGUSR1)])
        try await h.advance(.milliseconds(1_999))
        #expect(h.signals() == [])
        try await h.advance(.milliseconds(1))
        #expect(h.signals() == [.group(pid, SIGTERM)])
        try await h.advance(.milliseconds(500))
        #expect(h.signals() == [.group(pid, SIGKILL)])
    }

    @Test func aDrainingWorkerThatSaysItIsIdleGetsItsStopSignalAtOnce() async throws {
        var drained = spec()
        drained.drain = DrainSettings(signal: SIGUSR1, timeoutMS: 30_000)
        let h = try SupervisorHarness([drained])
        let pid = try await running(h)[0]
        _ = try await h.supervisor.stop("T")
        #expect(h.signals() == [.group(pid, SIGUSR1)])
        try await h.advance(.milliseconds(300))
        await h.keepAlive("T", pid, status: .ready)
        #expect(h.signals() == [.group(pid, SIGTERM)])
    }

    @Test func aRollingRestartStopsTheOldWorkerOnceItsReplacementIsReady() async throws {
        let h = try SupervisorHarness([spec()])
        let old = try await running(h)[0]
        #expect(try await h.supervisor.restart("T") == .started)
        let new = try #require(await h.startSpawns().first)
        #expect(h.signals() == [])
        try await h.advance(.milliseconds(200))
        await h.keepAlive("T", new)
        #expect(h.signals() == [.group(old, SIGTERM)])
        await h.exit(old)
        #expect(await h.supervisor.pool(named: "T")?.rollout == nil)
        #expect(await h.workers("T") == [new: .running])
    }

    // MARK: shutdown

    /// Starts `shutDown` and returns once it waits.
    func shuttingDown(_ h: SupervisorHarness) async -> Task<Void, Never> {
        let task = Task { await h.supervisor.shutDown() }
        while !(await h.supervisor.shutdown.waiting) { await Task.yield() }
        return task
    }

    @Test func shutdownEndsWhenTheLastWorkerIsReapedWithoutTimePassing() async throws {
        let h = try SupervisorHarness([spec(cardinality: 2)], forceTimeoutMS: 10_000)
        let pids = try await running(h)
        let shutdown = await shuttingDown(h)
        #expect(Set(h.signals()) == Set(pids.map { .group($0, SIGTERM) }))
        await h.exit(pids[0])
        #expect(await h.supervisor.shutdown.over == false)
        await h.exit(pids[1])
        // Ended by that event, not by polling: nothing else ran meanwhile.
        try #require(await h.supervisor.shutdown.over)
        await shutdown.value
        #expect(h.timer.elapsed == .zero)
        #expect(await h.supervisor.liveProcesses == 0)
        #expect(h.timer.armedAt == nil)
    }

    @Test func shutdownKillsWhatIsLeftAtForceTimeout() async throws {
        let h = try SupervisorHarness([spec(grace: 60_000)], forceTimeoutMS: 1_000)
        let pid = try await running(h)[0]
        let shutdown = await shuttingDown(h)
        #expect(h.signals() == [.group(pid, SIGTERM)])
        try await h.advance(.milliseconds(999))
        #expect(h.signals() == [])
        try await h.advance(.milliseconds(1))
        #expect(h.signals() == [.group(pid, SIGKILL)])
        await h.exit(pid, status: WaitStatus.killed(by: SIGKILL))
        // Ended by that event, not by polling: nothing else ran meanwhile.
        try #require(await h.supervisor.shutdown.over)
        await shutdown.value
        #expect(h.timer.elapsed == .seconds(1))
    }

    @Test func shutdownGivesUpTwoSecondsAfterForceTimeout() async throws {
        let h = try SupervisorHarness([spec(grace: 60_000)], forceTimeoutMS: 1_000)
        _ = try await running(h)
        let shutdown = await shuttingDown(h)
        try await h.advance(.milliseconds(2_999))
        #expect(await h.supervisor.shutdown.over == false)
        try await h.advance(.milliseconds(1))
        // Ended by that event, not by polling: nothing else ran meanwhile.
        try #require(await h.supervisor.shutdown.over)
        await shutdown.value
        #expect(await h.supervisor.owners.count == 1)
    }

    @Test func aSecondShutdownSignalKillsEverything() async throws {
        let h = try SupervisorHarness([spec(grace: 60_000)], forceTimeoutMS: 10_000)
        let pid = try await running(h)[0]
        var requests = h.supervisor.shutdownRequests.makeAsyncIterator()
        await h.supervisor.handle(signal: SIGTERM)
        #expect(h.signals() == [.group(pid, SIGTERM)])
        // The first one is passed on, for whoever shuts the service group down.
        #expect(await requests.next() != nil)
        #expect(await h.supervisor.lifecycle.shutdownSignals == 1)
        await h.supervisor.handle(signal: SIGINT)
        #expect(h.signals() == [.group(pid, SIGKILL)])
        #expect(await h.supervisor.lifecycle.shutdownSignals == 2)
    }

    @Test func aCancelledShutdownKillsAtOnceAndReapsWithoutSIGCHLD() async throws {
        let h = try SupervisorHarness([spec(grace: 60_000)], forceTimeoutMS: 10_000)
        let pid = try await running(h)[0]
        let shutdown = await shuttingDown(h)
        #expect(h.signals() == [.group(pid, SIGTERM)])
        shutdown.cancel()
        while !(await h.supervisor.shutdown.cancelled) { await Task.yield() }
        #expect(h.processes.spawnsClosed)
        #expect(h.signals() == [.group(pid, SIGKILL)])
        // No SIGCHLD reaches a cancelled supervisor: it looks every 5 ms.
        h.processes.exit(pid, status: WaitStatus.killed(by: SIGKILL))
        try await h.advance(.milliseconds(5))
        // Ended by that event, not by polling: nothing else ran meanwhile.
        try #require(await h.supervisor.shutdown.over)
        await shutdown.value
        #expect(await h.supervisor.owners.isEmpty)
    }

    @Test func shutdownWithNothingRunningEndsAtOnce() async throws {
        let h = try SupervisorHarness([spec()])
        let shutdown = Task { await h.supervisor.shutDown() }
        while !(await h.supervisor.shutdown.waiting) { await Task.yield() }
        try #require(await h.supervisor.shutdown.over)
        await shutdown.value
        #expect(h.timer.elapsed == .zero)
    }
}

extension Supervisor {
    /// As `run` does when it becomes the subreaper of orphans.
    func adoptOrphansForTest() { reapsOrphans = true }
}
