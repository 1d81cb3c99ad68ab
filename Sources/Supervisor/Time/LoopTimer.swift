import NIOCore
import Synchronization

/// The production `DeadlineTimer`: the real clocks, and a task scheduled on
/// the supervisor's one-thread NIO event loop (its timerfd), so a deadline
/// runs on the supervisor's own thread the moment it is due.
final class LoopTimer: DeadlineTimer {
    private let loop: any EventLoop
    private let armed = Mutex<Scheduled<Void>?>(nil)

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func now() -> Moment { .now() }

    func arm(at instant: ContinuousClock.Instant, fire: @escaping @Sendable () -> Void) {
        let delay = TimeAmount(max(.zero, ContinuousClock.now.duration(to: instant)))
        let task = loop.scheduleTask(in: delay, fire)
        armed.withLock { $0?.cancel(); $0 = task }
    }

    func cancel() {
        armed.withLock { $0?.cancel(); $0 = nil }
    }
}
