import Foundation
import Testing

@testable import Supervisor

/// `backoff_reset`: a failed exit soon after the start counts toward the
/// backoff even after `min_uptime`; only a long run starts the count over.
@Suite struct PoolBackoffResetTests {
    let origin = Moment.now()
    func t(_ seconds: Double) -> Moment { origin.advanced(by: .milliseconds(Int(seconds * 1000))) }

    /// min_uptime 1 s, backoff 1 s doubling, backoff_reset 10 s, no jitter.
    func running(cardinality: Int = 1, reset: Int = 10_000, minUptime: Int = 1000) -> PoolStateMachine {
        var p = PoolStateMachine(
            spec: TaskSpec(
                name: "T", command: "/bin/true", cardinality: cardinality,
                restart: RestartPolicy(minUptimeMS: minUptime, backoffResetMS: reset)),
            jitter: .fixed(0.5))
        _ = p.start(now: t(0))
        for i in 0..<cardinality { _ = p.spawned(pid: pid_t(101 + i), now: t(0)) }
        return p
    }

    @Test func aCrashEveryOneAndAHalfSecondsBacksOff() {
        var p = running()
        var now = 0.0
        var pid: pid_t = 101
        var waits: [Double] = []
        for _ in 0..<5 {
            now += 1.5
            let actions = p.exited(pid: pid, status: .exited(code: 1), now: t(now))?.actions
            #expect(actions == [])  // held back: not replaced at once
            let next = try! #require(p.nextDeadline)
            let wait = Double((next - t(now).instant).milliseconds) / 1000
            waits.append(wait)
            now += wait
            #expect(p.tick(now: t(now)) == [.spawn(count: 1)])
            pid += 1
            _ = p.spawned(pid: pid, now: t(now))
        }
        #expect(waits == [1, 2, 4, 8, 16])
        #expect(p.quickFailures == 5)
    }

    @Test func aSignalWithinBackoffResetIsAFailureToo() {
        var p = running()
        #expect(p.exited(pid: 101, status: .signaled(signal: SIGSEGV, coreDumped: false), now: t(5))?.actions == [])
        #expect(p.quickFailures == 1)
    }

    @Test func aCleanExitAfterMinUptimeIsNoFailureAndKeepsTheCount() {
        var p = running()
        _ = p.exited(pid: 101, status: .exited(code: 1), now: t(2))
        #expect(p.quickFailures == 1)
        _ = p.tick(now: t(3))
        _ = p.spawned(pid: 102, now: t(3))
        // Exit 0 after 2 s: replaced at once, no failure, the count stays.
        #expect(p.exited(pid: 102, status: .exited(code: 0), now: t(5))?.actions == [.spawn(count: 1)])
        #expect(p.quickFailures == 1)
        // A clean exit before min_uptime is still a quick failure.
        _ = p.spawned(pid: 103, now: t(5))
        #expect(p.exited(pid: 103, status: .exited(code: 0), now: t(5.5))?.actions == [])
        #expect(p.quickFailures == 2)
    }

    @Test func onlyARunLongerThanBackoffResetStartsTheCountOver() {
        var p = running()
        _ = p.exited(pid: 101, status: .exited(code: 1), now: t(2))
        _ = p.tick(now: t(3))
        _ = p.spawned(pid: 102, now: t(3))
        _ = p.exited(pid: 102, status: .exited(code: 1), now: t(12.9))  // 9.9 s: within backoff_reset
        #expect(p.quickFailures == 2)
        _ = p.tick(now: t(15))
        _ = p.spawned(pid: 103, now: t(15))
        #expect(p.exited(pid: 103, status: .exited(code: 1), now: t(25))?.actions == [.spawn(count: 1)])  // 10 s: a stable run
        #expect(p.quickFailures == 0)
    }

    @Test func anotherWorkersRunMustOutliveBackoffResetToEndTheStreak() {
        var p = running(cardinality: 2)
        _ = p.exited(pid: 101, status: .exited(code: 1), now: t(0.5))
        _ = p.tick(now: t(1.5))
        _ = p.spawned(pid: 103, now: t(1.5))
        // 103 has run 2 s (past min_uptime, not backoff_reset): the streak goes on.
        _ = p.exited(pid: 102, status: .exited(code: 1), now: t(3.5))
        #expect(p.quickFailures == 2)
        #expect(p.restartBackoff(now: t(3.5).instant) != nil)
        // 104, started after the last failure, must run 10 s for the streak to end.
        _ = p.tick(now: t(5.5))
        _ = p.spawned(pid: 104, now: t(5.5))
        #expect(p.restartBackoff(now: t(14).instant) != nil)
        #expect(p.restartBackoff(now: t(15.5).instant) == nil)
    }

    @Test func backoffResetZeroIsTheOldRule() {
        var p = running(reset: 0)
        #expect(p.exited(pid: 101, status: .exited(code: 1), now: t(1.5))?.actions == [.spawn(count: 1)])
        #expect(p.quickFailures == 0)
    }

    @Test func minUptimeZeroStillTurnsTheBackoffOff() {
        var p = running(minUptime: 0)
        #expect(p.exited(pid: 101, status: .exited(code: 1), now: t(0.1))?.actions == [.spawn(count: 1)])
        #expect(p.quickFailures == 0)
    }
}
