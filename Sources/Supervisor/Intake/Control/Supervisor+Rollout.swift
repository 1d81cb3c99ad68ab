import FoundationEssentials
import Glibc
import SystemHelpers

/// Rolling restarts: of one task, or of every running task one after another.
extension Supervisor {
    /// Starts replacing every worker of `name` (at the task's own
    /// `max_surge`/`max_unavailable` where `pace` gives none).
    public func restart(_ name: String, pace: RolloutPaceOverride = .init()) throws(ControlError) -> RestartOutcome {
        guard let pool = pools[name], !retired.contains(name) else { throw .unknownTask(name) }
        let pace = pace.applied(to: pool.spec.rolloutPace)
        if let problem = pace.problem { throw .badRequest(problem) }
        let now = clock.now()
        let (outcome, actions) = pools[name]!.restart(pace: pace, now: now)
        switch outcome {
        case .notRunning: throw .notRunning(name)
        case .alreadyRestarting: throw .restarting(name)
        case .paused: throw .paused(name)
        case .started: perform(actions, task: name, now: now)
        }
        return outcome
    }

    /// Restarts every running task, one after another (the next starts when
    /// the one before has finished; a failed one ends the sequence). Returns
    /// the tasks, in order.
    public func restartAll(pace: RolloutPaceOverride = .init()) throws(ControlError) -> [String] {
        // Refused at once when wrong for any of them (not halfway through).
        let names = taskNames.filter { pools[$0]?.phase == .running }
        for name in names {
            if let problem = pace.applied(to: pools[name]!.spec.rolloutPace).problem { throw .badRequest("\(name): \(problem)") }
        }
        guard restartQueue.isEmpty else { throw .restarting("every task") }
        if let busy = names.first(where: { pools[$0]?.rollout != nil }) { throw .restarting(busy) }
        restartQueue = names
        restartQueuePace = pace
        startNextQueuedRestart()
        return names
    }

    /// Starts the first queued task that can be restarted.
    func startNextQueuedRestart() {
        while let next = restartQueue.first {
            if (try? restart(next, pace: restartQueuePace)) == .started { return }
            logger.notice("restart of every task: \(next) skipped (not running or being restarted)", metadata: ["task": "\(next)"])
            restartQueue.removeFirst()
        }
    }

    /// What a pool reported after an event: events, log lines, and the
    /// next task of a restart of every task.
    func noteReports(_ reports: [PoolReport], task: String, now: Moment) {
        for report in reports {
            switch report {
            case .rolloutStarted(let pace, let cardinality):
                logger.notice(
                    "rolling restart started",
                    metadata: [
                        "task": "\(task)", "max_surge": .stringConvertible(pace.maxSurge),
                        "max_unavailable": .stringConvertible(pace.maxUnavailable),
                    ])
                emit(.rolloutStarted(maxSurge: pace.maxSurge, maxUnavailable: pace.maxUnavailable, cardinality: cardinality), task: task, now: now)
            case .rolloutProgress(let replaced, let total):
                logger.info("rolling restart: \(replaced)/\(total) replaced", metadata: ["task": "\(task)"])
                emit(.rolloutProgress(replaced: replaced, total: total), task: task, now: now)
            case .rolloutFinished(let replaced, let duration):
                logger.notice(
                    "rolling restart finished", metadata: ["task": "\(task)", "duration_ms": .stringConvertible(duration.milliseconds)])
                emit(.rolloutFinished(replaced: replaced, durationMS: Int(duration.milliseconds)), task: task, now: now)
                if restartQueue.first == task {
                    restartQueue.removeFirst()
                    startNextQueuedRestart()
                }
            case .stopChosen(let pid, let reason, let draining):
                logger.notice(
                    "worker chosen to stop: \(reason)",
                    metadata: ["task": "\(task)", "pid": .stringConvertible(pid), "draining": .stringConvertible(draining)])
                emit(.workerStopping(pid: pid, reason: reason, draining: draining), task: task, now: now)
            case .backoff(let delay, let until, let reason):
                noteBackoff(delay: delay, until: until, reason: reason, task: task, now: now)
            case .rolloutFailed(let reason, let replaced, let total):
                logger.warning("rolling restart failed: \(reason)", metadata: ["task": "\(task)"])
                emit(.rolloutFailed(reason: reason, replaced: replaced, total: total), task: task, now: now)
                if restartQueue.first == task, reason != Rollout.superseded {
                    if !restartQueue.dropFirst().isEmpty {
                        logger.warning(
                            "restart of every task halted: not restarted: \(restartQueue.dropFirst().joined(separator: ", "))")
                    }
                    restartQueue = []
                }
            }
        }
    }
}
