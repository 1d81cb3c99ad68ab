import FoundationEssentials
import Glibc

/// Pausing a task: its workers' process groups are stopped (SIGSTOP) and
/// its stall and startup deadlines held until it is resumed. The pause is
/// kept in the state file, so it survives a manager restart.
extension Supervisor {
    public func pause(_ name: String) throws(ControlError) -> PoolStateMachine.PauseOutcome {
        guard pools[name] != nil, !retired.contains(name) else { throw .unknownTask(name) }
        let now = clock.now()
        let (outcome, result) = pools[name]!.pause(now: now)
        switch outcome {
        case .notRunning: throw .notRunning(name)
        case .alreadyPaused: return outcome
        case .paused: break
        }
        logger.notice("task paused", metadata: ["task": "\(name)", "workers": .stringConvertible(result.actions.count)])
        perform(result, task: name, now: now)
        saveState()
        return outcome
    }

    public func resume(_ name: String) throws(ControlError) -> PoolStateMachine.ResumeOutcome {
        guard pools[name] != nil, !retired.contains(name) else { throw .unknownTask(name) }
        let now = clock.now()
        let (outcome, result) = pools[name]!.resume(now: now)
        guard outcome == .resumed else { return outcome }
        logger.notice("task resumed", metadata: ["task": "\(name)", "workers": .stringConvertible(result.actions.count)])
        perform(result, task: name, now: now)
        // The deadlines held meanwhile count from now.
        for pid in pools[name]!.workers.keys {
            if let deadline = pools[name]!.stallDeadline(of: pid) { schedule(.stall(name, pid), at: deadline) }
        }
        saveState()
        return outcome
    }
}
