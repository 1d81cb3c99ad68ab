/// The clock the supervisor reads and the one timer it keeps armed for the
/// earliest deadline of its `DeadlineSchedule`. In production a
/// `LoopTimer` (the supervisor's NIO event loop and the real clocks); in
/// tests a manual one, whose time moves only when the test says so.
public protocol DeadlineTimer: AnyObject, Sendable {
    /// The time now: the monotonic instant for deadlines, the wall clock for what users are shown.
    func now() -> Moment
    /// Calls `fire` on the supervisor's thread at `instant` (at once if it
    /// has passed), instead of whatever was armed before.
    func arm(at instant: ContinuousClock.Instant, fire: @escaping @Sendable () -> Void)
    /// Disarms the timer.
    func cancel()
}
