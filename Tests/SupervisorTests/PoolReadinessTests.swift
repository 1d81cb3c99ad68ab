import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// Readiness and the startup timeout, decided by the pool state machine.
@Suite struct PoolReadinessTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    func running(
        _ count: Int, stall: Int = 1000, startup: Int? = nil, readyOn: ReadyOn = .keepAlive
    ) -> PoolStateMachine {
        var spec = TaskSpec(name: "T", command: "/bin/true", cardinality: count, stallTimeoutMS: stall, gracePeriodMS: 500)
        spec.startupTimeoutMS = startup
        spec.readyOn = readyOn
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for i in 0..<count { _ = p.spawned(pid: pid_t(101 + i), now: t(0)) }
        return p
    }

    func alive(_ pid: pid_t, _ status: KeepAliveMessage.Status? = nil) -> KeepAliveMessage {
        KeepAliveMessage(taskName: "T", pid: pid, status: status)
    }

    @Test func readyAtTheFirstKeepAlive() {
        var p = running(2)
        #expect(p.readyWorkers == 0)
        let result = p.keptAlive(alive(101), now: t(0.2))
        #expect(result == .init(first: true, ready: t(1.2).instant))
        #expect(p.readyWorkers == 1)
        #expect(p.keptAlive(alive(101), now: t(0.4)) == .init(first: false, ready: nil))
        #expect(p.status(now: t(0.5)).readyWorkers == 1)
        #expect(p.workerStatuses().map(\.ready) == [true, false])
    }

    @Test func readyOnStatusWaitsForReadyOrWorking() {
        var p = running(3, readyOn: .status)
        #expect(p.keptAlive(alive(101), now: t(0.1)) == .init(first: true, ready: nil))
        #expect(p.keptAlive(alive(101, .stopping), now: t(0.2)).ready == nil)
        #expect(p.keptAlive(alive(101, .ready), now: t(0.3)).ready == t(1.3).instant)
        #expect(p.keptAlive(alive(102, .working), now: t(0.3)).ready == t(1.3).instant)
        #expect(p.readyWorkers == 2)
        // Once ready, a worker stays ready whatever it says next.
        p.keptAlive(alive(101, .stopping), now: t(0.4))
        #expect(p.readyWorkers == 2)
    }

    @Test func theStartupTimeoutRunsFromSpawnToReadiness() {
        var p = running(1, stall: 1000, startup: 5000)
        // Not ready: the stall timeout does not apply, the startup timeout does.
        #expect(p.stallDeadline(of: 101) == t(5).instant)
        #expect(p.checkStall(pid: 101, now: t(2)) == .notDue(t(5).instant))
        // Ready at 3 s: from then on, the stall timeout from the last keep-alive.
        p.keptAlive(alive(101), now: t(3))
        #expect(p.stallDeadline(of: 101) == t(4).instant)
        #expect(
            p.checkStall(pid: 101, now: t(4))
                == .stalled([.signal(pid: 101, .terminate), .spawn(count: 1)], silence: .seconds(1), deadline: t(4).instant))
        #expect(p.stalledWorkers == 1)
    }

    @Test func aWorkerThatMissesItsStartupIsStoppedCountedApartAndBacksOff() {
        var p = running(2, stall: 60000, startup: 1000)
        p.keptAlive(alive(102), now: t(0.5))
        // The result says it all: the stop, the backoff it starts (1 s), the deadline missed.
        let backoff = PoolReport.backoff(delay: .seconds(1), until: t(2), reason: .quickExit)
        #expect(
            p.checkStall(pid: 101, now: t(1))
                == .missedStartup(
                    PoolResult(actions: [.signal(pid: 101, .terminate)], reports: [backoff]), age: .seconds(1), timeoutMS: 1000,
                    deadline: t(1).instant))
        // A quick failure: no replacement before the backoff (1 s without jitter).
        #expect(p.quickFailures == 1)
        #expect(p.spawnNotBefore == t(2).instant)
        #expect(p.stalledWorkers == 0)
        _ = p.exited(pid: 101, status: .signaled(signal: SIGTERM, coreDumped: false), now: t(1.1))
        #expect(p.exits.startupTimeout == 1)
        #expect(p.exits.stalled == 0)
        #expect(p.tick(now: t(2)) == [.spawn(count: 1)])
        // The ready one is not touched by any of it.
        #expect(p.workers[102]?.isRunning == true)
    }

    @Test func aSlowStarterNeedsNoLongStallTimeout() {
        var p = running(1, stall: 500, startup: 10000)
        #expect(p.checkStall(pid: 101, now: t(9)) == .notDue(t(10).instant))
        p.keptAlive(alive(101), now: t(9))
        #expect(p.checkStall(pid: 101, now: t(9.4)) == .notDue(t(9.5).instant))
    }
}
