import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Supervisor

/// The production timer on a real one-thread event loop: it fires at its
/// instant, not before, on the loop; a new arming or a cancel replaces the old one.
@Suite struct LoopTimerTests {
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    /// What fired, in order.
    final class Fired: Sendable {
        private let names = Mutex<[String]>([])
        func append(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    /// Waits (polling, generous deadline) until `fired` holds `count` entries.
    func waitFor(_ fired: Fired, count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while fired.all.count < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func firesOnTheLoopNotBeforeItsInstant() async throws {
        let timer = LoopTimer(loop: loop)
        let fired = Fired()
        let at = ContinuousClock.now + .milliseconds(30)
        let loop = self.loop
        timer.arm(at: at) {
            let early = ContinuousClock.now < at
            fired.append(early ? "early" : loop.inEventLoop ? "on the loop" : "elsewhere")
        }
        try await waitFor(fired, count: 1)
        #expect(fired.all == ["on the loop"])
    }

    @Test func aNewArmingOrACancelReplacesTheOldOne() async throws {
        let timer = LoopTimer(loop: loop)
        let fired = Fired()
        // Margins of a few hundred milliseconds: the machine may be busy.
        let now = ContinuousClock.now
        timer.arm(at: now + .milliseconds(300)) { fired.append("first") }
        timer.arm(at: now + .milliseconds(400)) { fired.append("second") }
        try await waitFor(fired, count: 1)
        let later = ContinuousClock.now
        timer.arm(at: later + .milliseconds(500)) { fired.append("cancelled") }
        timer.cancel()
        LoopTimer(loop: loop).arm(at: later + .seconds(1)) { fired.append("last") }
        try await waitFor(fired, count: 2)
        // Had "first" or "cancelled" fired, they would have come before "last".
        #expect(fired.all == ["second", "last"])
    }

    @Test func anInstantPassedFiresAtOnce() async throws {
        let timer = LoopTimer(loop: loop)
        let fired = Fired()
        timer.arm(at: ContinuousClock.now - .seconds(1)) { fired.append("fired") }
        try await waitFor(fired, count: 1)
        #expect(fired.all == ["fired"])
    }

    @Test func theClockIsTheRealOne() {
        let before = ContinuousClock.now
        let now = LoopTimer(loop: loop).now()
        #expect(now.instant >= before && now.instant <= ContinuousClock.now)
    }
}
