import Glibc

/// Notices that the manager did not run for a while: its process was
/// stopped (SIGSTOP, a debugger, a paused virtual machine), starved (a swap
/// storm) or the machine was suspended. Meanwhile the workers' keep-alives
/// waited unread, so that time must not count against them (README, "Faults").
///
/// Two signs, checked each time the supervisor runs (a keep-alive batch,
/// its timer): the deadline its timer was armed for passed more than
/// `threshold` ago, or the boot clock (`ContinuousClock`, counting suspend)
/// moved more than `threshold` further than the monotonic one since the last
/// run. The time lost is then the time since the supervisor last ran (at
/// least the suspend): the pause began after it, so this errs on the side of
/// the workers.
public struct PauseDetector: Sendable {
    /// A timer this late, or a suspend this long, is a pause.
    public static let threshold: Duration = .milliseconds(250)

    public struct Pause: Sendable, Equatable {
        /// The time the manager did not run.
        public var lost: Duration
        /// Of which the machine was suspended.
        public var suspended: Duration
    }

    /// When the supervisor last ran, and the boot clock's lead over the
    /// monotonic clock then.
    private var lastRun: ContinuousClock.Instant
    private var suspendedBefore: Duration

    public init(now: ContinuousClock.Instant = .now, suspendedSoFar: Duration = Self.suspendedSoFar()) {
        lastRun = now
        suspendedBefore = suspendedSoFar
    }

    /// The supervisor runs at `now`; `due` is what its timer was armed for.
    /// Returns the pause that ended now, if any.
    public mutating func ran(
        now: ContinuousClock.Instant, due: ContinuousClock.Instant?, suspendedSoFar: Duration = Self.suspendedSoFar()
    ) -> Pause? {
        defer {
            lastRun = max(lastRun, now)
            suspendedBefore = suspendedSoFar
        }
        let suspended = max(.zero, suspendedSoFar - suspendedBefore)
        let overdue = due.map { $0.duration(to: now) } ?? .zero
        guard overdue > Self.threshold || suspended > Self.threshold else { return nil }
        let idle = lastRun.duration(to: now)
        return Pause(lost: max(idle, suspended), suspended: suspended > Self.threshold ? suspended : .zero)
    }

    /// How far the boot clock has moved ahead of the monotonic clock: the
    /// time the machine spent suspended since it booted.
    public static func suspendedSoFar() -> Duration {
        var boot = timespec()
        var monotonic = timespec()
        // Monotonic first: the boot clock, read after, is never behind it.
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        return Duration(boot) - Duration(monotonic)
    }
}

extension Duration {
    init(_ time: timespec) {
        self = .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
