import FoundationEssentials
import Glibc

/// The memory readings of `max_memory`: every `memory_check_interval`, the
/// resident memory of each worker's process group is read from /proc (off
/// the supervisor's thread) and given to the pool, which marks those above
/// the limit for recycling.
extension Supervisor {
    /// Schedules the next reading of `task`, if it has `max_memory`, runs, and none is pending.
    func scheduleMemoryCheck(task: String) {
        guard let pool = pools[task], let interval = pool.memoryCheckInterval, pool.phase == .running,
            !memoryChecks.contains(task)
        else { return }
        memoryChecks.insert(task)
        schedule(.memoryCheck(task), at: clock.now().instant + interval)
    }

    func checkMemory(task: String) {
        guard let pool = pools[task], pool.phase == .running, pool.memoryCheckInterval != nil else {
            memoryChecks.remove(task)
            return
        }
        let groups = Set(pool.workers.values.filter(\.isRunning).map(\.pid))
        Task.detached { [self] in
            let usage = ProcessGroupUsage.read(groups: groups)
            await self.memoryRead(task: task, rss: usage.mapValues(\.rssBytes))
        }
    }

    private func memoryRead(task: String, rss: [pid_t: Int]) {
        memoryChecks.remove(task)
        let now = clock.now()
        if let actions = pools[task]?.memoryMeasured(rss, now: now) {
            perform(actions, task: task, now: now)
        } else {
            scheduleMemoryCheck(task: task)
        }
    }
}

extension PoolStateMachine {
    /// How often its workers' memory is read; nil without `max_memory`.
    var memoryCheckInterval: Duration? {
        spec.recycle.maxMemoryBytes.map { _ in .milliseconds(spec.recycle.memoryCheckIntervalMS) }
    }
}
