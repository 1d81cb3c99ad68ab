import Glibc

/// Everything the supervisor does to processes: start workers, signal
/// process groups, reap children, and find and signal descendants that left
/// their worker's group. `PosixProcessControl` does it for real (a spawner
/// thread, `kill`, `waitpid`, /proc, pidfds); the supervisor's unit tests
/// use a fake that records the signals and makes pids exit when told.
public protocol ProcessControl: Sendable {
    // MARK: spawning

    /// The outcome of every spawn asked for, in the order they happened.
    var spawnResults: AsyncStream<SpawnQueue.Result> { get }
    /// Asks for `count` more workers of `spec` (started off the supervisor's thread).
    func spawn(_ spec: TaskSpec, count: Int)
    /// Drops up to `count` of the task's spawns that have not begun; returns how many were dropped.
    func cancelSpawns(task: String, upTo count: Int) -> Int
    /// Runs `body` with new spawns held back until it returns (not nested).
    func holdingSpawns<R>(_ body: () -> R) -> R
    /// The supervisor has taken the failure of a spawn of `task` (the task's
    /// other spawns wait for that).
    func failureTaken(task: String)
    /// The supervisor has taken the spawn result for `pid`.
    func reported(_ pid: pid_t)
    /// Runs `body` with no spawn under way, telling it whether `pgid` may be
    /// a worker spawned whose result the supervisor has not taken yet.
    func withoutSpawning<R>(pgid: pid_t, _ body: (_ unreported: Bool) -> R) -> R
    /// No more spawns: workers still running get their parent-death signal.
    func closeSpawning()

    // MARK: signals

    /// `signal` to the process group `pgid`; when there is no such group
    /// (the worker left it), to the process `pgid` alone.
    func signalGroupOrLeader(_ pgid: pid_t, _ signal: Int32)
    /// `signal` to the process group `pgid` only.
    func signalGroup(_ pgid: pid_t, _ signal: Int32)
    /// Whether a process group `pgid` exists (has a member).
    func groupExists(_ pgid: pid_t) -> Bool

    // MARK: reaping

    /// Asks to be the subreaper of orphaned descendants; returns 0 or the errno.
    func becomeSubreaper() -> Int32
    /// The first exited child waiting to be reaped (left waitable), if any.
    func firstExitedChild() -> pid_t?
    /// Whether the child `pid` may have exited (left waitable): looks at that
    /// one child, where `firstExitedChild` walks them all.
    func mayHaveExited(_ pid: pid_t) -> Bool
    /// Reaps `pid` if it has exited: its wait status; nil if it has not (or is no child).
    func reap(_ pid: pid_t) -> Int32?

    // MARK: descendants outside their worker's group

    /// The descendants of `pid` that are not in its process group.
    func descendantsOutsideGroup(of pid: pid_t) -> [pid_t]
    /// The manager's own children (workers and adopted orphans alike).
    func children() -> [pid_t]
    /// The task a process says it belongs to (`WPM_TASK_NAME` in its environment).
    func taskName(of pid: pid_t) -> String?
    /// A handle naming the process itself (a pidfd), never a later process with its pid; nil if it is gone.
    func openHandle(_ pid: pid_t) -> Int32?
    /// `signal` through a handle; false when the process is gone.
    func signal(handle: Int32, _ signal: Int32) -> Bool
    func closeHandle(_ handle: Int32)
}

extension ProcessControl {
    /// Without a cheaper look at one child: it may have.
    public func mayHaveExited(_ pid: pid_t) -> Bool { true }
}
