import FoundationEssentials
import Glibc

/// The rolling restart (see `Rollout`): new workers first, an old one
/// stopped only when a new one is ready, halted by the first new worker
/// that fails.
extension PoolStateMachine {
    /// Starts replacing every worker of the running pool.
    /// `superseding`: a rollout under way ends (reported as failed with
    /// `Rollout.superseded`) and this one replaces every worker again.
    public mutating func restart(pace: Rollout.Pace, superseding: Bool = false, now: Moment) -> (RestartOutcome, PoolResult) {
        guard phase == .running else { return (.notRunning, []) }
        guard pausedSince == nil else { return (.paused, []) }
        if let current = rollout {
            guard superseding else { return (.alreadyRestarting, []) }
            reports.append(.rolloutFailed(reason: Rollout.superseded, replaced: current.replaced, total: cardinality))
            rollout = nil
        }
        generation += 1
        rolloutFailure = nil
        rollout = Rollout(pace: pace, generation: generation, startedAt: now)
        reports.append(.rolloutStarted(pace, cardinality: cardinality))
        // Spawns asked for before start old workers: drop those not begun
        // (counted as old ones until `spawnsCancelled` says how many went).
        staleSpawns = spawnsInFlight
        let cancel: [PoolAction] = spawnsInFlight > 0 ? [.cancelSpawns(count: spawnsInFlight)] : []
        return (.started, result(cancel + reconcile(now: now), now: now))
    }

    /// New settings from a config reload: workers spawned from now on get
    /// them; the cardinality is set apart (`setCardinality`).
    public mutating func update(spec new: TaskSpec) {
        spec = new
    }

    /// The rollout's state for status, if there is one to show.
    public var rolloutState: RolloutState? {
        if let rollout { return .running(replaced: rollout.replaced, total: cardinality) }
        return rolloutFailure.map { .failed(reason: $0) }
    }

    /// A stop ends the rollout (and forgets a failed one).
    mutating func endRollout() {
        if let rollout {
            reports.append(.rolloutFailed(reason: "task stopped", replaced: rollout.replaced, total: cardinality))
        }
        rollout = nil
        rolloutFailure = nil
        staleSpawns = 0
    }

    /// A new worker failed: the rollout halts. New workers not ready yet
    /// and spawns not begun are dropped; every old worker keeps running.
    mutating func failRollout(_ reason: String, now: Moment) -> [PoolAction] {
        guard let current = rollout else { return reconcile(now: now) }
        rollout = nil
        rolloutFailure = reason
        reports.append(.rolloutFailed(reason: reason, replaced: current.replaced, total: cardinality))
        var actions: [PoolAction] = []
        let newInFlight = spawnsInFlight - staleSpawns
        if newInFlight > 0 { actions.append(.cancelSpawns(count: newInFlight)) }
        let failed = workers.values.filter { $0.isRunning && !$0.isReady && $0.generation >= current.generation }
        for worker in failed.sorted(by: { $0.pid < $1.pid }) { actions += terminate(worker.pid, now: now) }
        return actions + reconcile(now: now)
    }

    /// One step of the rollout: the most it may do now.
    mutating func reconcileRollout(now: Moment) -> [PoolAction] {
        guard let current = rollout else { return [] }
        var actions: [PoolAction] = []
        var old: [WorkerRecord] = []
        var new: [WorkerRecord] = []
        var ready = 0
        for worker in workers.values where worker.isRunning {
            if worker.generation >= current.generation { new.append(worker) } else { old.append(worker) }
            if worker.isReady { ready += 1 }
        }
        let readyNew = new.reduce(0) { $0 + ($1.isReady ? 1 : 0) }
        var newInFlight = max(0, spawnsInFlight - staleSpawns)
        var newCount = new.count + newInFlight

        // More new workers than wanted (a scale-down during the rollout):
        // spawns not begun first, then those not ready, newest first.
        if newCount > cardinality, newInFlight > 0 {
            let drop = min(newCount - cardinality, newInFlight)
            actions.append(.cancelSpawns(count: drop))
            newInFlight -= drop
            newCount -= drop
        }
        if new.count > cardinality {
            let order = new.sorted { $0.isReady != $1.isReady ? !$0.isReady : $0.sequence > $1.sequence }
            for worker in order.prefix(new.count - cardinality) {
                actions += terminate(worker.pid, now: now)
                if worker.isReady { ready -= 1 }
                newCount -= 1
            }
        }

        // Old workers: one not ready goes at once; a ready one only while
        // the ready count stays at or above the floor. Idle ones before
        // those without status before busy ones, oldest first.
        let floor = max(0, cardinality - current.pace.maxUnavailable)
        old.sort {
            let (a, b) = (StopClass(of: $0), StopClass(of: $1))
            return a != b ? a < b : $0.sequence < $1.sequence
        }
        var oldLeft = old.count
        for worker in old {
            if worker.isReady {
                guard ready - 1 >= floor else { break }
                ready -= 1
            }
            actions += terminate(worker.pid, now: now)
            oldLeft -= 1
        }

        // New workers: up to the cardinality, at most `maxSurge` above it in all.
        let total = oldLeft + newCount + staleSpawns
        let room = min(cardinality + current.pace.maxSurge - total, cardinality - newCount)
        if room > 0, spawnNotBefore.map({ $0 <= now.instant }) ?? true {
            spawnNotBefore = nil
            spawnsInFlight += room
            actions.append(.spawn(count: room))
        }

        let replaced = min(readyNew, cardinality)
        if replaced != current.replaced {
            rollout?.replaced = replaced
            reports.append(.rolloutProgress(replaced: replaced, total: cardinality))
        }
        if oldLeft == 0, staleSpawns == 0, readyNew >= cardinality {
            reports.append(.rolloutFinished(replaced: replaced, duration: now.instant - current.startedAt.instant))
            rollout = nil
        }
        return actions
    }
}
