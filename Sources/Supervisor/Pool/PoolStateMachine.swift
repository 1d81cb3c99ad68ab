import FoundationEssentials
import Glibc
import KeepAlive

/// One task's pool as a pure state machine: events in, actions out, no I/O.
///
/// Phases: `stopped` (no worker is wanted; workers from an earlier run may
/// still be terminating) and `running` (the pool is kept at `cardinality`).
/// Each worker is `running`, `terminating` (SIGTERM sent, SIGKILL due at a
/// deadline) or `killed` (SIGKILL sent, waiting to be reaped).
public struct PoolStateMachine: Sendable {
    public enum Phase: Sendable, Equatable {
        case stopped
        case running
    }

    public internal(set) var spec: TaskSpec
    public private(set) var phase: Phase = .stopped
    public private(set) var cardinality: Int
    public private(set) var startedAt: Moment?
    /// Every worker process not reaped yet. A worker's state changes only
    /// through `setState`, which keeps `activeWorkers` and `killDeadlines`.
    public internal(set) var workers: [pid_t: WorkerRecord] = [:]
    /// Workers that count toward the cardinality (running ones).
    public private(set) var activeWorkers = 0
    /// Running workers that are ready, and the newest keep-alive of any
    /// worker since the start: kept where workers change (`spawned`,
    /// `keptAlive`, `setState`, `exited`), so status never walks the workers.
    public private(set) var readyWorkers = 0
    public private(set) var newestAliveAt: Date?
    /// The SIGKILL deadlines of terminating workers.
    private var killDeadlines = DeadlineIndex()
    /// The stop-signal deadlines of draining workers (`drain_timeout`).
    private var drainDeadlines: [pid_t: ContinuousClock.Instant] = [:]
    /// Workers draining (one deadline each, kept by `setState`).
    var drainingCount: Int { drainDeadlines.count }
    /// Workers of the current run that ended, for any reason.
    public private(set) var deadWorkers = 0
    /// Workers of the current run that were stopped for missing keep-alives.
    public private(set) var stalledWorkers = 0
    /// How the workers of the current run ended.
    public private(set) var exits = ExitCounts()
    /// Valid keep-alives of the current run, and the messages dropped by reason.
    public private(set) var keepAlivesReceived = 0
    public private(set) var drops: [KeepAliveDrop: Int] = [:]
    public private(set) var lastSpawnError: (message: String, at: Date)?
    public private(set) var lastExit: (status: ExitStatus, at: Date)?
    /// No spawn before this instant (the restart backoff, after a quick failure).
    public internal(set) var spawnNotBefore: ContinuousClock.Instant?
    /// Quick failures in a row (see `RestartPolicy`), and the last one's cause.
    public private(set) var quickFailures = 0
    /// The last quick failure: its text, whether it was a spawn that
    /// failed (else a worker that died young), and when.
    public private(set) var lastFailure: (reason: String, spawnFailed: Bool, at: ContinuousClock.Instant)?
    /// The first quick failure of the current streak (see `restartBackoff`).
    public private(set) var backoffSince: ContinuousClock.Instant?
    private var jitter: JitterSource
    /// Spawns asked for with `.spawn` and not reported yet (`spawned`,
    /// `spawnFailed`, `spawnsCancelled`): they count toward the cardinality.
    public internal(set) var spawnsInFlight = 0

    private var run: UInt64 = 0
    private var sequence: UInt64 = 0
    /// The generation new workers get; a rollout makes a new one.
    public internal(set) var generation: UInt64 = 0
    /// The rolling restart under way, if any.
    public internal(set) var rollout: Rollout?
    /// Why the last rollout halted, until the next rollout or stop.
    public internal(set) var rolloutFailure: String?
    /// Spawns under way when the rollout began: they start old workers.
    var staleSpawns = 0
    /// Facts gathered while one event is decided, returned with its result
    /// (see `result(_:now:)`).
    var reports: [PoolReport] = []
    /// The end of the last backoff reported (one report per backoff).
    private var backoffReported: ContinuousClock.Instant?
    /// Since when the task is paused (see `pause`); nil when it is not.
    public internal(set) var pausedSince: Moment?

    public init(spec: TaskSpec, jitter: JitterSource = JitterSource()) {
        self.spec = spec
        self.cardinality = spec.cardinality
        self.jitter = jitter
    }

    public var name: String { spec.name }
    /// Which start of the task this is (workers of earlier ones are old).
    var runNumber: UInt64 { run }
    /// A number in [0, 1) from the pool's jitter source.
    mutating func jitterUnit() -> Double { jitter.unit() }
    public var gracePeriod: Duration { .milliseconds(spec.gracePeriodMS) }
    public var stallTimeout: Duration { .milliseconds(spec.stallTimeoutMS) }

    /// The earliest moment `tick` has something to do, if any.
    public var nextDeadline: ContinuousClock.Instant? {
        let wantsSpawn = phase == .running && (rollout != nil || activeWorkers + spawnsInFlight < cardinality)
        let spawnAt = wantsSpawn ? spawnNotBefore : nil
        return [spawnAt, killDeadlines.earliest, drainDeadlines.values.min(), nextLifetimeEnd].compactMap { $0 }.min()
    }

    // MARK: events

    public mutating func start(now: Moment) -> (StartOutcome, PoolResult) {
        switch phase {
        case .running:
            return (.alreadyRunning, [])
        case .stopped:
            phase = .running
            run += 1
            startedAt = now
            deadWorkers = 0
            stalledWorkers = 0
            exits = ExitCounts()
            keepAlivesReceived = 0
            newestAliveAt = nil
            drops = [:]
            lastSpawnError = nil
            lastExit = nil
            quickFailures = 0
            lastFailure = nil
            rolloutFailure = nil
            return (.started, result(reconcile(now: now), now: now))
        }
    }

    public mutating func stop(now: Moment) -> (StopOutcome, PoolResult) {
        switch phase {
        case .stopped:
            return (.notRunning, [])
        case .running:
            phase = .stopped
            startedAt = nil
            spawnNotBefore = nil
            endRollout()
            let pids = workers.values.filter(\.isRunning).map(\.pid).sorted()
            let cancel: [PoolAction] = spawnsInFlight > 0 ? [.cancelSpawns(count: spawnsInFlight)] : []
            let actions = cancel + pids.flatMap { terminate($0, now: now) }
            // Every worker was thawed with its stop signal: a stop ends the pause.
            pausedSince = nil
            return (.stopped, result(actions, now: now))
        }
    }

    /// Changes the wanted size; a stopped pool keeps it for its next start.
    public mutating func setCardinality(_ value: Int, now: Moment) -> PoolResult {
        cardinality = value
        return result(phase == .running ? reconcile(now: now) : [], now: now)
    }

    /// A worker asked for by `.spawn` has started (at `now`).
    public mutating func spawned(pid: pid_t, now: Moment) -> PoolResult {
        spawnsInFlight = max(0, spawnsInFlight - 1)
        sequence += 1
        workers[pid] = WorkerRecord(
            pid: pid, sequence: sequence, run: run, startedAt: now, lastAliveAt: nil, state: .running)
        // Spawns are served in order: those under way when a rollout began come first.
        workers[pid]!.generation = staleSpawns > 0 ? generation - 1 : generation
        staleSpawns = max(0, staleSpawns - 1)
        activeWorkers += 1
        lastSpawnError = nil
        assignLifetime(pid, now: now)
        // A spawn that lands after a stop is stopped like any other worker;
        // one that lands after a scale-down makes the pool too large, and
        // the newest worker (this one) is stopped.
        guard phase == .running else { return result(terminate(pid, now: now), now: now) }
        // A worker spawned while the task is paused is paused too.
        let freeze: [PoolAction] = pausedSince != nil ? [.signal(pid: pid, .freeze)] : []
        return result(freeze + reconcile(now: now), now: now)
    }

    /// A worker asked for by `.spawn` could not be started. Every other
    /// spawn asked for is dropped with it if it has not begun (the spawn
    /// queue waits for this answer before it starts another of the task):
    /// the restart backoff decides when the pool tries again.
    public mutating func spawnFailed(message: String, now: Moment) -> PoolResult {
        spawnsInFlight = max(0, spawnsInFlight - 1)
        let stale = staleSpawns > 0
        staleSpawns = max(0, staleSpawns - 1)
        lastSpawnError = (message, now.date)
        let drop: [PoolAction] = spawnsInFlight > 0 ? [.cancelSpawns(count: spawnsInFlight)] : []
        guard phase == .running else { return result(drop, now: now) }
        quickFailure(message, spawnFailed: true, now: now)
        if rollout != nil, !stale { return result(drop + failRollout("spawn failed: \(message)", now: now), now: now) }
        return result(drop + (rollout != nil ? reconcile(now: now) : []), now: now)
    }

    /// `count` spawns asked for were dropped before they began (after a
    /// `.cancelSpawns`).
    @discardableResult
    public mutating func spawnsCancelled(_ count: Int, now: Moment = .now()) -> PoolResult {
        spawnsInFlight = max(0, spawnsInFlight - count)
        staleSpawns = min(staleSpawns, spawnsInFlight)
        // A rollout counts spawns under way toward its surge: with fewer, it
        // may go on (with none dropped nothing changed: no new step, no loop).
        return result(count > 0 && phase == .running && rollout != nil ? reconcile(now: now) : [], now: now)
    }

    /// A worker process of this pool was reaped: how it ended (decided here
    /// once) and what the pool does about it. Nil when `pid` is not one of
    /// this pool's workers.
    public mutating func exited(pid: pid_t, status: ExitStatus, now: Moment) -> WorkerExit? {
        guard let worker = workers.removeValue(forKey: pid) else { return nil }
        let kind = ExitCounts.kind(of: worker, status: status)
        let actions = exited(worker, status: status, kind: kind, now: now)
        return WorkerExit(pid: pid, status: status, kind: kind, state: worker.state, result: result(actions, now: now))
    }

    private mutating func exited(_ worker: WorkerRecord, status: ExitStatus, kind: ExitCounts.Kind, now: Moment) -> [PoolAction] {
        let pid = worker.pid
        if worker.isRunning { activeWorkers -= 1 }
        if worker.isRunning, worker.isReady { readyWorkers -= 1 }
        killDeadlines[pid] = nil
        drainDeadlines[pid] = nil
        if worker.run == run {
            deadWorkers += 1
            lastExit = (status, now.date)
            exits.count(kind)
        }
        guard phase == .running else { return [] }
        if worker.isRunning {
            // It ended on its own: quickly or failing before `backoff_reset`
            // (a failure), or after a stable run.
            switch RestartPolicy.judge(exitOf: worker, kind: kind, now: now, policy: spec.restart) {
            case .failure: quickFailure(status.description, spawnFailed: false, now: now)
            case .stableRun: quickFailures = 0
            case .neither: break
            }
            if let rollout, worker.generation >= rollout.generation {
                return failRollout("new worker \(pid) exited: \(status)", now: now)
            }
        }
        return reconcile(now: now)
    }

    /// Deadlines up to `now` have passed: escalate stops, retry spawns.
    public mutating func tick(now: Moment) -> PoolResult {
        var actions: [PoolAction] = []
        for (pid, killAt) in killDeadlines.byPid.sorted(by: { $0.key < $1.key }) where killAt <= now.instant {
            setState(pid, .killed)
            actions.append(.signal(pid: pid, .kill))
        }
        for (pid, stopAt) in drainDeadlines.sorted(by: { $0.key < $1.key }) where stopAt <= now.instant {
            actions += endDrain(pid, now: now)
        }
        if phase == .running {
            markLifetimesEnded(now: now)
            actions += reconcile(now: now)
        }
        return result(actions, now: now)
    }

    /// Stops every worker right away with SIGKILL (the second shutdown signal).
    public mutating func killAll() -> PoolResult {
        var actions: [PoolAction] = []
        for pid in workers.keys.sorted() where workers[pid]?.state != .killed {
            setState(pid, .killed)
            actions.append(.signal(pid: pid, .kill))
        }
        return PoolResult(actions: actions)
    }

    /// What a valid keep-alive changed.
    public struct KeepAliveResult: Sendable, Equatable {
        /// It was the worker's first.
        public var first = false
        /// The worker became ready with it: its stall deadline (returned)
        /// now counts from this keep-alive, with `stall_timeout`.
        public var ready: ContinuousClock.Instant?
        /// What its readiness lets a rollout or recycling do, or a draining
        /// worker's stop signal.
        public var result: PoolResult = []
        public var actions: [PoolAction] { result.actions }
    }

    /// A valid keep-alive arrived from `pid`, a worker of this pool.
    @discardableResult
    public mutating func keptAlive(_ message: KeepAliveMessage, now: Moment) -> KeepAliveResult {
        // Changed where it lies (`values[index]`): `workers[pid]?.change()`
        // moved the whole record out of the dictionary and back.
        guard let index = workers.index(forKey: message.pid) else { return KeepAliveResult() }
        let (first, becameReady, current) = workers.values[index].keptAlive(message, readyOn: spec.readyOn, now: now)
        if current == run { keepAlivesReceived += 1 }
        if newestAliveAt.map({ now.date > $0 }) ?? true { newestAliveAt = now.date }
        if becameReady { readyWorkers += 1 }
        // A draining worker that says it is idle (or leaving) gets its stop signal now.
        if case .draining = workers.values[index].state, message.status == .ready || message.status == .stopping {
            return KeepAliveResult(first: first, result: result(endDrain(message.pid, now: now), now: now))
        }
        let recycling = noteJob(message.job, of: message.pid, now: now)
        guard becameReady else { return KeepAliveResult(first: first, result: result(recycling, now: now)) }
        // A replacement got ready: a rollout or a recycling may go on.
        let actions = recycling.isEmpty && phase == .running && (rollout != nil || spec.recycle.isEnabled) ? reconcile(now: now) : recycling
        let deadline = stallDeadline(for: workers[message.pid]!)
        return KeepAliveResult(first: first, ready: deadline, result: result(actions, now: now))
    }

    /// A message naming this task did not count.
    public mutating func dropped(_ reason: KeepAliveDrop) {
        drops[reason, default: 0] += 1
    }

    public var startupTimeout: Duration { .milliseconds(spec.effectiveStartupTimeoutMS) }

    /// When `worker` is stopped if nothing changes: until it is ready, its
    /// start plus `startup_timeout`; then its last keep-alive plus
    /// `stall_timeout`.
    public func stallDeadline(for worker: WorkerRecord) -> ContinuousClock.Instant {
        guard worker.isReady else { return worker.startedAt.instant.advanced(by: startupTimeout + worker.startupPushedBack) }
        return (worker.lastAliveInstant ?? worker.startedAt.instant).advanced(by: stallTimeout + worker.stallPushedBack)
    }

    /// The stall (or startup) deadline of `pid`; nil unless it is a running
    /// worker (and the task is not paused: see `pause`).
    public func stallDeadline(of pid: pid_t) -> ContinuousClock.Instant? {
        guard pausedSince == nil, let worker = workers[pid], worker.isRunning else { return nil }
        return stallDeadline(for: worker)
    }

    /// The manager did not run for `lost` (frozen, suspended): it could
    /// not hear from its workers meanwhile, so every running worker's stall
    /// and startup deadlines move that much later. Returns how many moved.
    public mutating func pushBackStallDeadlines(by lost: Duration) -> Int {
        var moved = 0
        for (pid, worker) in workers where worker.isRunning {
            workers[pid]!.stallPushedBack += lost
            workers[pid]!.startupPushedBack += lost
            moved += 1
        }
        return moved
    }

    public enum StallCheck: Equatable {
        /// Not a running worker (any more): nothing to watch.
        case gone
        /// Alive: look again at this deadline.
        case notDue(ContinuousClock.Instant)
        /// Stalled (no keep-alive for `silence` since it was ready; its
        /// stall deadline was `deadline`): stopped and (if the pool runs)
        /// replaced.
        case stalled(PoolResult, silence: Duration, deadline: ContinuousClock.Instant)
        /// Not ready `age` after its start (`startup_timeout`, `timeoutMS`;
        /// its deadline was `deadline`): stopped, a quick failure for the
        /// backoff, and (if the pool runs) replaced.
        case missedStartup(PoolResult, age: Duration, timeoutMS: Int, deadline: ContinuousClock.Instant)
    }

    /// The stall or startup deadline of `pid` may have passed.
    public mutating func checkStall(pid: pid_t, now: Moment) -> StallCheck {
        guard let worker = workers[pid], let deadline = stallDeadline(of: pid) else { return .gone }
        guard deadline <= now.instant else { return .notDue(deadline) }
        let ready = worker.isReady
        if ready {
            workers[pid]?.stalled = true
            if worker.run == run { stalledWorkers += 1 }
        } else {
            workers[pid]?.missedStartup = true
            if phase == .running {
                quickFailure("not ready within startup_timeout (\(spec.effectiveStartupTimeoutMS) ms)", spawnFailed: false, now: now)
            }
        }
        var actions = terminate(pid, now: now, drain: false)
        if phase == .running, let rollout, worker.generation >= rollout.generation {
            let reason = ready ? "new worker \(pid) stalled" : "new worker \(pid) not ready within startup_timeout (\(spec.effectiveStartupTimeoutMS) ms)"
            actions += failRollout(reason, now: now)
        } else if phase == .running {
            actions += reconcile(now: now)
        }
        let since = now.instant - (worker.lastAliveInstant ?? worker.startedAt.instant)
        let done = result(actions, now: now)
        return ready
            ? .stalled(done, silence: since, deadline: deadline)
            : .missedStartup(done, age: now.instant - worker.startedAt.instant, timeoutMS: spec.effectiveStartupTimeoutMS, deadline: deadline)
    }

    // MARK: helpers

    /// The result of an event: `actions` and the facts gathered while they
    /// were decided. Spawns held back from now on by a backoff not reported
    /// yet are one of them (the pool is short of workers and waits).
    mutating func result(_ actions: [PoolAction], now: Moment) -> PoolResult {
        if let until = spawnNotBefore, until != backoffReported, until > now.instant, phase == .running,
            activeWorkers < cardinality
        {
            backoffReported = until
            let delay = now.instant.duration(to: until)
            let reason: SupervisorEvent.BackoffReason = lastFailure?.spawnFailed == true ? .spawnFailed : .quickExit
            reports.append(.backoff(delay: delay, until: now.advanced(by: delay), reason: reason))
        }
        guard !reports.isEmpty else { return PoolResult(actions: actions) }
        defer { reports = [] }
        return PoolResult(actions: actions, reports: reports)
    }

    public var minUptime: Duration { .milliseconds(spec.restart.minUptimeMS) }
    /// How long a worker runs for the quick failures to start over (see `RestartPolicy`).
    public var stableRun: Duration { .milliseconds(spec.restart.stableRunMS) }

    /// A worker failed quickly (`reason`: its exit status or the spawn
    /// error): the next spawn waits for the backoff. A worker started since
    /// the previous failure that has run `stableRun` means the run between
    /// was stable: the count starts over.
    mutating func quickFailure(_ reason: String, spawnFailed: Bool, now: Moment) {
        if let last = lastFailure?.at {
            let stable = workers.values.contains {
                $0.isRunning && $0.startedAt.instant > last && $0.startedAt.instant.advanced(by: stableRun) <= now.instant
            }
            if stable { quickFailures = 0 }
        }
        quickFailures += 1
        if quickFailures == 1 { backoffSince = now.instant }
        lastFailure = (reason, spawnFailed, now.instant)
        let retry = now.instant.advanced(by: spec.restart.delay(afterFailures: quickFailures, unit: jitter.unit()))
        spawnNotBefore = max(spawnNotBefore ?? retry, retry)
    }

    /// Sends `pid` its stop signal (SIGCONT first while the task is paused:
    /// a stopped process would not act on it), SIGKILL after the grace
    /// period. With `drain_signal` (and `drain`), a ready worker gets that
    /// first, and its stop signal later (see `DrainSettings`).
    mutating func terminate(_ pid: pid_t, now: Moment, drain: Bool = true) -> [PoolAction] {
        let thaw: [PoolAction] = pausedSince != nil ? [.signal(pid: pid, .thaw)] : []
        if drain, spec.drain.signal != nil, let worker = workers[pid], worker.isRunning, worker.isReady {
            setState(pid, .draining(stopAt: now.instant.advanced(by: .milliseconds(spec.drain.timeoutMS))))
            return thaw + [.signal(pid: pid, .drain)]
        }
        let killAt = now.instant.advanced(by: gracePeriod)
        setState(pid, .terminating(killAt: killAt))
        return thaw + [.signal(pid: pid, .terminate)]
    }

    /// The second phase of a two-phase stop: the stop signal.
    mutating func endDrain(_ pid: pid_t, now: Moment) -> [PoolAction] {
        guard case .draining = workers[pid]?.state else { return [] }
        return terminate(pid, now: now, drain: false)
    }

    private mutating func setState(_ pid: pid_t, _ state: WorkerRecord.State) {
        guard let old = workers[pid]?.state else { return }
        let ready = workers[pid]!.isReady
        if old == .running { activeWorkers -= 1 }
        if state == .running { activeWorkers += 1 }
        if ready, old == .running, state != .running { readyWorkers -= 1 }
        if ready, old != .running, state == .running { readyWorkers += 1 }
        if case .terminating(let killAt) = state {
            killDeadlines[pid] = killAt
        } else {
            killDeadlines[pid] = nil
        }
        if case .draining(let stopAt) = state {
            drainDeadlines[pid] = stopAt
        } else {
            drainDeadlines[pid] = nil
        }
        workers[pid]!.state = state
    }

    /// Brings a running pool toward its cardinality. Spawns under way count:
    /// a surplus drops those that have not begun, then stops the newest
    /// running workers.
    mutating func reconcile(now: Moment) -> [PoolAction] {
        if rollout != nil { return reconcileRollout(now: now) }
        // Workers past a recycling limit: replacements first, at most
        // max_surge above the cardinality (see +Recycle).
        let due = spec.recycle.isEnabled ? recycleDue : []
        var actions = stopRecycled(due: due, now: now)
        let cardinality = self.cardinality + (due.isEmpty ? 0 : recycleSurge(due: recycleDue.count))
        let active = activeWorkers
        let total = active + spawnsInFlight
        if total < cardinality {
            if let notBefore = spawnNotBefore, notBefore > now.instant { return actions }
            spawnNotBefore = nil
            spawnsInFlight += cardinality - total
            return actions + [.spawn(count: cardinality - total)]
        }
        if total > cardinality, spawnsInFlight > 0 {
            actions.append(.cancelSpawns(count: min(total - cardinality, spawnsInFlight)))
        }
        if active > cardinality {
            for (pid, why) in scaleDownVictims(count: active - cardinality) {
                actions += stopChosen(pid, reason: "scale-down: \(why)", now: now)
            }
        }
        return actions
    }
}
