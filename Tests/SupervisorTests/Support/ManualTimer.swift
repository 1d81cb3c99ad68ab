import Foundation
import NIOCore
import Synchronization

@testable import Supervisor

/// A `DeadlineTimer` whose time moves only when a test says so: `advance`
/// fires each deadline the supervisor armed, at its instant, on the
/// supervisor's own thread (as the NIO timer would).
final class ManualTimer: DeadlineTimer {
    private struct State {
        var now: Moment
        var armedAt: ContinuousClock.Instant?
        var fire: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>
    let origin: Moment

    init(origin: Moment = .now()) {
        self.origin = origin
        state = Mutex(State(now: origin))
    }

    func now() -> Moment { state.withLock { $0.now } }

    func arm(at instant: ContinuousClock.Instant, fire: @escaping @Sendable () -> Void) {
        state.withLock {
            $0.armedAt = instant
            $0.fire = fire
        }
    }

    func cancel() {
        state.withLock {
            $0.armedAt = nil
            $0.fire = nil
        }
    }

    /// What the timer is armed for, if it is.
    var armedAt: ContinuousClock.Instant? { state.withLock { $0.armedAt } }

    /// The time since `origin`.
    var elapsed: Duration { origin.instant.duration(to: now().instant) }

    /// Moves the time `duration` on, firing every deadline armed up to then
    /// at its own instant (on `loop`, the supervisor's thread).
    func advance(by duration: Duration, on loop: any EventLoop) async throws {
        let end = now().instant.advanced(by: duration)
        while true {
            let due: (@Sendable () -> Void)? = state.withLock {
                guard let at = $0.armedAt, at <= end, let fire = $0.fire else { return nil }
                $0.now = $0.now.advanced(by: $0.now.instant.duration(to: max(at, $0.now.instant)))
                $0.armedAt = nil
                $0.fire = nil
                return fire
            }
            guard let due else { break }
            try await loop.submit { due() }.get()
        }
        state.withLock { $0.now = $0.now.advanced(by: $0.now.instant.duration(to: end)) }
    }
}
