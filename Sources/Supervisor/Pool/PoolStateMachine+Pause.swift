import FoundationEssentials
import Glibc

/// Pause and resume: every worker's process group is stopped (SIGSTOP) and
/// its stall and startup deadlines are held; on resume they count afresh
/// from that moment. A worker spawned while paused is paused at once; one
/// stopped while paused gets SIGCONT before its stop signal (`terminate`).
extension PoolStateMachine {
    public enum PauseOutcome: Sendable, Equatable {
        case paused
        case alreadyPaused
        case notRunning
    }

    public enum ResumeOutcome: Sendable, Equatable {
        case resumed
        case notPaused
    }

    public var isPaused: Bool { pausedSince != nil }

    /// Pauses the running pool: SIGSTOP to every running worker.
    public mutating func pause(now: Moment) -> (PauseOutcome, PoolResult) {
        guard phase == .running else { return (.notRunning, []) }
        guard pausedSince == nil else { return (.alreadyPaused, []) }
        pausedSince = now
        let pids = workers.values.filter(\.isRunning).map(\.pid).sorted()
        return (.paused, result(pids.map { .signal(pid: $0, .freeze) }, now: now))
    }

    /// Resumes a paused pool: SIGCONT to every running worker, whose stall
    /// and startup deadlines now count from `now` (see `stallDeadline(of:)`).
    public mutating func resume(now: Moment) -> (ResumeOutcome, PoolResult) {
        guard pausedSince != nil else { return (.notPaused, []) }
        pausedSince = nil
        var actions: [PoolAction] = []
        for pid in workers.keys.sorted() where workers[pid]!.isRunning {
            let worker = workers[pid]!
            workers[pid]!.stallPushedBack = now.instant - (worker.lastAliveInstant ?? worker.startedAt.instant)
            workers[pid]!.startupPushedBack = now.instant - worker.startedAt.instant
            actions.append(.signal(pid: pid, .thaw))
        }
        return (.resumed, result(actions, now: now))
    }

    /// A pause restored from the state file, before the task starts: its
    /// workers are paused as they are spawned.
    public mutating func restorePause(now: Moment) {
        pausedSince = now
    }
}
