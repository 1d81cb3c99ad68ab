import Foundation
import Testing

import KeepAlive

@testable import Supervisor

/// Recycling in the state machine: the replacement first, the old worker
/// stopped once it is ready, never more than max_surge at once, exits
/// counted as `recycled` with no backoff.
@Suite struct PoolRecycleTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    func running(_ count: Int, surge: Int = 1, _ configure: (inout RecyclePolicy) -> Void) -> PoolStateMachine {
        var spec = TaskSpec(name: "T", command: "/bin/true", cardinality: count, gracePeriodMS: 500)
        configure(&spec.recycle)
        spec.rolloutPace = Rollout.Pace(maxSurge: surge, maxUnavailable: surge == 0 ? 1 : 0)
        var p = PoolStateMachine(spec: spec, jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for i in 0..<count {
            _ = p.spawned(pid: pid_t(101 + i), now: t(0))
            _ = p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid_t(101 + i), status: .ready), now: t(0.1))
        }
        return p
    }

    func ready(_ p: inout PoolStateMachine, _ pid: pid_t, at: Double) -> [PoolAction] {
        p.keptAlive(KeepAliveMessage(taskName: "T", pid: pid, status: .ready), now: t(at)).actions
    }

    @Test func memoryOverTheLimitIsReplacedFirstThenStopped() {
        var p = running(2) { $0.maxMemoryBytes = 100 << 20 }
        #expect(p.memoryMeasured([101: 50 << 20, 102: 150 << 20], now: t(1)) == [.spawn(count: 1)])
        #expect(p.workers[102]?.recycleReason == "max_memory (150 MiB > 100 MiB)")
        #expect(p.spawned(pid: 103, now: t(1.1)) == [])
        // Not ready yet: the old one stays (the ready count must not drop).
        #expect(p.readyWorkers == 2)
        let replaced = p.keptAlive(KeepAliveMessage(taskName: "T", pid: 103, status: .ready), now: t(1.5)).result
        #expect(replaced.actions == [.signal(pid: 102, .terminate)])
        #expect(p.readyWorkers == 2)
        // Returned with the keep-alive that let it go: why it was chosen.
        #expect(replaced.reports == [.stopChosen(pid: 102, reason: "recycling: max_memory (150 MiB > 100 MiB)", draining: false)])
        #expect(p.exited(pid: 102, status: .signaled(signal: SIGTERM, coreDumped: false), now: t(1.6))?.actions == [])
        #expect(p.exits.recycled == 1)
        #expect(p.quickFailures == 0)
        #expect(p.activeWorkers == 2)
    }

    @Test func lifetimesAreJitteredAndNeverMoreThanMaxSurgeAtOnce() {
        var p = running(4, surge: 2) {
            $0.maxLifetimeMS = 10_000
            $0.lifetimeJitter = 0.2
        }
        // Jitter fixed at 0.5: every lifetime is 10 s × (1 − 0.2 × 0.5) = 9 s.
        #expect(p.workers[101]?.lifetimeEndsAt == t(9).instant)
        #expect(p.nextDeadline == t(9).instant)
        #expect(p.tick(now: t(9)) == [.spawn(count: 2)])
        #expect(p.recycleDue.count == 4)
        _ = p.spawned(pid: 105, now: t(9.1))
        _ = p.spawned(pid: 106, now: t(9.1))
        #expect(p.activeWorkers == 6)
        // Each replacement ready lets one old worker go, then the next replacement starts.
        let first = ready(&p, 105, at: 9.5)
        #expect(first.contains(.signal(pid: 101, .terminate)))
        #expect(first.contains(.spawn(count: 1)))
        #expect(p.activeWorkers + p.spawnsInFlight <= 6)
    }

    @Test func distinctJobsCountTowardMaxJobs() {
        var p = running(1) { $0.maxJobs = 3 }
        for (i, job) in ["a", "b", "a", "b"].enumerated() {
            #expect(p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101, status: .working, job: job), now: t(1 + Double(i))).actions == [])
        }
        #expect(p.workers[101]?.recycleReason == nil)
        #expect(p.keptAlive(KeepAliveMessage(taskName: "T", pid: 101, status: .working, job: "c"), now: t(6)).actions == [.spawn(count: 1)])
        #expect(p.workers[101]?.recycleReason == "max_jobs (3 distinct jobs)")
    }

    @Test func withoutSurgeOneIsStoppedFirst() {
        var p = running(2, surge: 0) { $0.maxMemoryBytes = 10 }
        #expect(
            p.memoryMeasured([101: 20, 102: 20], now: t(1))
                == PoolResult(
                    actions: [.signal(pid: 101, .terminate), .spawn(count: 1)],
                    reports: [.stopChosen(pid: 101, reason: "recycling: max_memory (20 bytes > 10 bytes)", draining: false)]))
    }

    @Test func aLifetimeAddedByAReloadCountsFromTheReload() {
        var p = running(2) { _ in }
        #expect(p.workers[101]?.lifetimeEndsAt == nil)
        var spec = p.spec
        spec.recycle.maxLifetimeMS = 10_000
        spec.recycle.lifetimeJitter = 0
        p.update(spec: spec)
        #expect(p.recycleLimitsChanged(now: t(100)) == [])
        #expect(p.workers[101]?.lifetimeEndsAt == t(110).instant)
        #expect(p.nextDeadline == t(110).instant)
    }

    @Test func bytesAndSizes() {
        #expect(RecyclePolicy.parseBytes("200MiB") == 200 << 20)
        #expect(RecyclePolicy.parseBytes("1.5 GiB") == 3 << 29)
        #expect(RecyclePolicy.parseBytes("500MB") == 500_000_000)
        #expect(RecyclePolicy.parseBytes("64k") == 65536)
        #expect(RecyclePolicy.parseBytes("1000") == 1000)
        for wrong in ["", "MiB", "200XB", "-5MiB", "0", "1e3", "12 34"] { #expect(RecyclePolicy.parseBytes(wrong) == nil, "\(wrong)") }
    }
}
