import FoundationEssentials
import Glibc
import KeepAlive

/// Graceful recycling (see `RecyclePolicy`): a worker past a limit is
/// marked (`recycleReason`); `reconcile` then starts its replacement first
/// (at most `max_surge` above the cardinality at once), and stops it once
/// the replacement is ready, so the ready count never drops below the
/// cardinality. Its exit counts as `recycled`, with no backoff. With
/// `max_surge` 0, up to `max_unavailable` are stopped first instead.
extension PoolStateMachine {
    /// Gives a new worker its lifetime (`max_lifetime`, jittered).
    mutating func assignLifetime(_ pid: pid_t, now: Moment) {
        guard let lifetime = spec.recycle.lifetime(unit: jitterUnit()) else { return }
        workers[pid]?.lifetimeEndsAt = now.instant.advanced(by: lifetime)
    }

    /// After a reload changed the limits: running workers without a
    /// lifetime get one counted from `now` (not from their start, so that a
    /// pool does not recycle at once), and those past the new limits go on
    /// as the limits say.
    public mutating func recycleLimitsChanged(now: Moment) -> PoolResult {
        for pid in workers.keys.sorted() where workers[pid]!.isRunning {
            if spec.recycle.maxLifetimeMS == nil {
                workers[pid]!.lifetimeEndsAt = nil
            } else if workers[pid]!.lifetimeEndsAt == nil {
                assignLifetime(pid, now: now)
            }
        }
        return result(phase == .running ? reconcile(now: now) : [], now: now)
    }

    /// The earliest lifetime end of a running worker not yet marked.
    var nextLifetimeEnd: ContinuousClock.Instant? {
        guard spec.recycle.maxLifetimeMS != nil, phase == .running, rollout == nil, pausedSince == nil else { return nil }
        return workers.values.lazy.filter { $0.isRunning && $0.recycleReason == nil }.compactMap(\.lifetimeEndsAt).min()
    }

    /// Marks the workers whose lifetime has ended.
    mutating func markLifetimesEnded(now: Moment) {
        guard let limit = spec.recycle.maxLifetimeMS, phase == .running, rollout == nil, pausedSince == nil else { return }
        for (pid, worker) in workers where worker.isRunning && worker.recycleReason == nil {
            if let end = worker.lifetimeEndsAt, end <= now.instant {
                workers[pid]!.recycleReason = "max_lifetime (\(limit) ms; this one \((end - worker.startedAt.instant).milliseconds) ms)"
            }
        }
    }

    /// `job` came from `pid`: with `max_jobs`, the distinct ones are counted.
    /// Returns what marking it changes, if it reached the limit.
    mutating func noteJob(_ job: String?, of pid: pid_t, now: Moment) -> [PoolAction] {
        guard let limit = spec.recycle.maxJobs, let job, let worker = workers[pid], worker.isRunning,
            worker.recycleReason == nil
        else { return [] }
        workers[pid]!.jobsSeen.insert(job)
        guard workers[pid]!.jobsSeen.count >= limit else { return [] }
        workers[pid]!.recycleReason = "max_jobs (\(limit) distinct jobs)"
        workers[pid]!.jobsSeen = []
        return phase == .running ? reconcile(now: now) : []
    }

    /// The resident memory of each worker's process group (bytes, by pid),
    /// read from /proc: those above `max_memory` are marked.
    public mutating func memoryMeasured(_ rss: [pid_t: Int], now: Moment) -> PoolResult {
        guard let limit = spec.recycle.maxMemoryBytes, phase == .running, pausedSince == nil else { return [] }
        var marked = false
        for (pid, bytes) in rss where bytes > limit {
            guard let worker = workers[pid], worker.isRunning, worker.recycleReason == nil else { continue }
            workers[pid]!.recycleReason =
                "max_memory (\(RecyclePolicy.bytesText(bytes)) > \(RecyclePolicy.bytesText(limit)))"
            marked = true
        }
        return result(marked ? reconcile(now: now) : [], now: now)
    }

    /// Running workers past a limit, oldest first.
    var recycleDue: [WorkerRecord] {
        workers.values.filter { $0.isRunning && $0.recycleReason != nil }.sorted { $0.sequence < $1.sequence }
    }

    /// How many workers above the cardinality recycling wants now.
    func recycleSurge(due: Int) -> Int { min(due, spec.rolloutPace.maxSurge) }

    /// Stops the marked workers that may go now, oldest first: a ready one
    /// while the ready count stays at or above the cardinality without it,
    /// one not ready while the running count does (its replacement runs).
    mutating func stopRecycled(due: [WorkerRecord], now: Moment) -> [PoolAction] {
        guard !due.isEmpty else { return [] }
        var actions: [PoolAction] = []
        if spec.rolloutPace.maxSurge == 0 {
            // No room above the cardinality: stop first, at most max_unavailable at once.
            let stopping = workers.values.count(where: { !$0.isRunning && $0.recycleReason != nil && $0.run == runNumber })
            for worker in due.prefix(max(0, spec.rolloutPace.maxUnavailable - stopping)) {
                actions += stopChosen(worker.pid, reason: "recycling: \(worker.recycleReason!)", now: now)
            }
            return actions
        }
        var ready = readyWorkers
        var active = activeWorkers
        for worker in due {
            if worker.isReady {
                guard ready - 1 >= cardinality else { continue }
                ready -= 1
            } else {
                guard active - 1 >= cardinality else { continue }
            }
            active -= 1
            actions += stopChosen(worker.pid, reason: "recycling: \(worker.recycleReason!)", now: now)
        }
        return actions
    }
}
