import FoundationEssentials
import Glibc
import KeepAlive

/// Keep-alives received by the hub, matched to workers (SPEC §2): frame 0
/// and the JSON task name must name the task exactly, and the pid must be a
/// live worker of that task. Everything else is counted by reason.
extension Supervisor {
    public func receive(_ batch: [KeepAliveHub.Item]) {
        let now = clock.now()
        noteRunning(now: now.instant)
        for item in batch {
            switch item.result {
            case .success(let message):
                let task = message.taskName
                guard pools[task] != nil else {
                    noteDrop(task: nil, reason: .unknownTask)
                    continue
                }
                switch owners[message.pid] {
                case task:
                    let result = pools[task]!.keptAlive(message, now: now)
                    if result.first { logFirstKeepAlive(task: task, pid: message.pid) }
                    if let stall = result.ready {
                        logReady(task: task, pid: message.pid)
                        // The startup deadline may be later than this one.
                        schedule(.stall(task, message.pid), noLaterThan: stall)
                    }
                    noteKeepAlive(task: task, pid: message.pid, ready: result.ready != nil, now: now)
                    // Once per worker: a rollout may go on (and report); or a
                    // draining worker said it is idle: its stop signal.
                    if result.ready != nil || !result.result.isEmpty { perform(result.result, task: task, now: now) }
                case nil:
                    pools[task]!.dropped(.unknownPid)
                    noteDrop(task: task, reason: .unknownPid)
                default:
                    pools[task]!.dropped(.wrongTask)
                    noteDrop(task: task, reason: .wrongTask)
                }
            case .failure(let reason):
                if let topic = item.topic, pools[topic] != nil {
                    pools[topic]!.dropped(reason)
                    noteDrop(task: topic, reason: reason)
                } else {
                    noteDrop(task: nil, reason: reason == .wrongTask ? .unknownTask : reason)
                }
            }
        }
    }
}
