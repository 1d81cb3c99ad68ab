import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// Busy-aware scale-down (which workers go, and why) and the two-phase stop
/// (`drain_signal`, then the stop signal on `ready`/`stopping` or at `drain_timeout`).
@Suite struct PoolDrainTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    func running(_ count: Int, drain: DrainSettings = DrainSettings()) -> PoolStateMachine {
        var spec = TaskSpec(name: "T", command: "/bin/true", cardinality: count, gracePeriodMS: 500)
        spec.drain = drain
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for i in 0..<count { _ = p.spawned(pid: pid_t(101 + i), now: t(0)) }
        return p
    }

    func say(_ p: inout PoolStateMachine, _ pid: pid_t, _ status: KeepAliveMessage.Status?, job: String? = nil, at: Double)
        -> [PoolAction]
    {
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid, status: status, job: job), now: t(at)).actions
    }

    @Test func scaleDownStopsNotReadyThenIdleThenSilentThenWorkingNewestFirst() {
        var p = running(7)
        // 101 working, 102 idle, 103 no status, 104 idle, 105 working, 106 no status, 107 never ready.
        _ = say(&p, 101, .working, job: "a", at: 1)
        _ = say(&p, 102, .ready, at: 1)
        _ = say(&p, 103, nil, at: 1)
        _ = say(&p, 104, .ready, at: 1)
        _ = say(&p, 105, .working, job: "b", at: 1)
        _ = say(&p, 106, nil, at: 1)
        var order: [pid_t] = []
        var reports: [PoolReport] = []
        for size in (0..<7).reversed() {
            let result = p.setCardinality(size, now: t(Double(2 + 6 - size)))
            for case .signal(let pid, .terminate) in result.actions { order.append(pid) }
            reports += result.reports
        }
        #expect(order == [107, 104, 102, 106, 103, 105, 101])
        #expect(reports.first == .stopChosen(pid: 107, reason: "scale-down: not ready", draining: false))
        #expect(reports.contains(.stopChosen(pid: 104, reason: "scale-down: idle (ready)", draining: false)))
        #expect(reports.contains(.stopChosen(pid: 106, reason: "scale-down: no status", draining: false)))
        #expect(reports.last == .stopChosen(pid: 101, reason: "scale-down: working (job a)", draining: false))
        #expect(p.workerStatuses().first { $0.pid == 105 }?.stopReason == "scale-down: working (job b)")
    }

    @Test func fourToTwoStopsExactlyTheTwoIdleWorkers() {
        var p = running(4)
        _ = say(&p, 101, .working, at: 1)
        _ = say(&p, 102, .ready, at: 1)
        _ = say(&p, 103, .working, at: 1)
        _ = say(&p, 104, .ready, at: 1)
        let actions = p.setCardinality(2, now: t(2))
        #expect(Set(actions) == [.signal(pid: 102, .terminate), .signal(pid: 104, .terminate)])
    }

    @Test func aDrainingWorkerGetsItsStopSignalWhenItSaysReady() {
        var p = running(2, drain: DrainSettings(signal: SIGTSTP, timeoutMS: 10_000))
        _ = say(&p, 101, .working, job: "1", at: 1)
        _ = say(&p, 102, .working, job: "2", at: 1)
        #expect(
            p.setCardinality(1, now: t(2))
                == PoolResult(
                    actions: [.signal(pid: 102, .drain)],
                    reports: [.stopChosen(pid: 102, reason: "scale-down: working (job 2)", draining: true)]))
        #expect(p.workers[102]?.state == .draining(stopAt: t(12).instant))
        #expect(p.status(now: t(2)).drainingWorkers == 1)
        #expect(p.status(now: t(2)).stoppingWorkers == 0)
        #expect(p.nextDeadline == t(12).instant)
        // Still busy: nothing yet.
        #expect(say(&p, 102, .working, job: "2", at: 3) == [])
        #expect(p.tick(now: t(4)) == [])
        // Done: the stop signal, then SIGKILL after the grace period.
        #expect(say(&p, 102, .ready, at: 5) == [.signal(pid: 102, .terminate)])
        #expect(p.workers[102]?.state == .terminating(killAt: t(5.5).instant))
        #expect(p.tick(now: t(5.5)) == [.signal(pid: 102, .kill)])
        #expect(p.exited(pid: 102, status: .signaled(signal: SIGKILL, coreDumped: false), now: t(5.6))?.actions == [])
        #expect(p.exits.clean == 1)
    }

    @Test func stoppingAlsoEndsTheDrainAndTheTimeoutDoesWhenNothingComes() {
        var p = running(3, drain: DrainSettings(signal: SIGUSR1, timeoutMS: 2000))
        for pid: pid_t in [101, 102, 103] { _ = say(&p, pid, .working, at: 1) }
        let (_, actions) = p.stop(now: t(2))
        #expect(actions == [.signal(pid: 101, .drain), .signal(pid: 102, .drain), .signal(pid: 103, .drain)])
        #expect(say(&p, 101, .stopping, at: 2.5) == [.signal(pid: 101, .terminate)])
        #expect(p.tick(now: t(3.9)) == [.signal(pid: 101, .kill)])
        #expect(p.tick(now: t(4)) == [.signal(pid: 102, .terminate), .signal(pid: 103, .terminate)])
    }

    @Test func aNotReadyOrStalledWorkerIsNotDrained() {
        var spec = TaskSpec(name: "T", command: "/bin/true", cardinality: 2, stallTimeoutMS: 1000)
        spec.drain = DrainSettings(signal: SIGTSTP)
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        _ = p.spawned(pid: 101, now: t(0))
        _ = p.spawned(pid: 102, now: t(0))
        _ = say(&p, 101, .working, at: 0.5)
        guard case .stalled(let result, _, _) = p.checkStall(pid: 101, now: t(1.6)) else {
            Issue.record("not stalled")
            return
        }
        #expect(result.actions.first == .signal(pid: 101, .terminate))
        #expect(p.setCardinality(0, now: t(1.7)).contains(.signal(pid: 102, .terminate)))
    }
}
