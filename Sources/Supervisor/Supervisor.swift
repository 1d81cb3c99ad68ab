import CShims
import CoreMetrics
import FoundationEssentials
import Glibc
import KeepAlive
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import SystemHelpers
import SystemPackage

/// The one owner of every pool. Control requests, reaped children and timer
/// deadlines all become events for the pools' state machines; this actor
/// performs the actions they return (spawn, signal) and keeps one timer armed
/// for the earliest deadline.
///
/// It runs on a thread of its own (a one-thread NIO event loop), not on the
/// shared cooperative pool: its timer is the loop's timerfd, and a deadline
/// runs the moment it is due instead of waiting for a pool thread.
public actor Supervisor {
    /// The supervisor's thread, for the life of the process.
    nonisolated let loop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// The config in use and its task names (sorted): replaced by a reload.
    nonisolated let current: Mutex<(config: ManagerConfig, taskNames: [String])>
    public nonisolated var config: ManagerConfig { current.withLock { $0.config } }
    public nonisolated var taskNames: [String] { current.withLock { $0.taskNames } }
    /// Reads the config file again for a reload, as `main` read it at start.
    let configSource: @Sendable () throws(ConfigError) -> ManagerConfig
    /// Tasks gone from the config whose workers are still being stopped.
    var retired: Set<String> = []
    let logger: Logger
    /// Owns the workers' output.
    let spawner: Spawner
    /// Starts, signals and reaps processes (Action/); spawn results come back to `spawnFinished`.
    let processes: any ProcessControl
    var pools: PoolTable
    /// Which task each live worker belongs to.
    var owners: [pid_t: String] = [:]
    /// Process groups whose leader was reaped while being stopped (their
    /// SIGKILL deadline is `.group` in `deadlines`).
    var lingeringGroups: Set<pid_t> = []
    /// Every deadline (Time/): stall, stop escalation and held-back spawns
    /// of the pools, leftover groups, drains, escaped processes, memory readings.
    var deadlines = DeadlineSchedule<DeadlineTarget>()
    /// The clock, and the timer armed for the earliest deadline.
    let clock: any DeadlineTimer
    /// What the timer is armed for, if it is.
    var timerAt: ContinuousClock.Instant?
    /// Set while `fireDeadlines` runs: it arms the timer once, at its end.
    var firing = false
    /// Open batches of signals (`signalling`), and what follows their
    /// signals once the outermost ends (Action/Supervisor+SignalBatch).
    var signalBatches = 0
    var followUps: [AfterSignal] = []
    /// Where it is in its life: starting, running, stopping, stopped.
    public internal(set) var lifecycle = SupervisorLifecycle.starting
    /// `run` runs once.
    var runStarted = false
    /// The first shutdown signal, for whoever ends the service group
    /// (`wpmanager`'s `ShutdownTrigger`): the supervisor needs no group.
    public nonisolated let shutdownRequests: AsyncStream<Void>
    let shutdownRequested: AsyncStream<Void>.Continuation
    /// The wait for the last process at shutdown (Supervisor+Lifecycle).
    var shutdown = ShutdownProgress()
    /// Whether exited children that are not workers are reaped too (set by
    /// `run` when the process is PID 1 or became a subreaper).
    var reapsOrphans = false
    /// Orphaned descendants of workers reaped so far.
    public private(set) var orphansReaped = 0
    /// Received messages that name no task, by reason.
    /// Lifecycle events for subscribers, and the metrics they move (Report/Events/).
    public nonisolated let events: EventBus
    let metrics: SupervisorMetrics
    /// The readiness gauges (Health/).
    let healthMetrics: HealthMetrics
    /// A restart of every task: the tasks left, the one under way first.
    var restartQueue: [String] = []
    var restartQueuePace = RolloutPaceOverride()
    /// Drains of the keep-alive intake and pauses of the manager (Supervisor+Evidence).
    var evidence = StallEvidence()
    /// Counters of the faults met (FaultMetrics).
    let faultMetrics: FaultMetrics
    /// Descendants of workers that left their process groups (Supervisor+Escaped).
    var escaped: [pid_t: EscapedProcess] = [:]
    /// Tasks that lost workers since the last look for adopted orphans.
    var orphanCheckTasks: Set<String> = []
    /// How long after a reap the manager looks for orphans it adopted.
    static let orphanCheckDelay: Duration = .milliseconds(20)
    /// Tasks with `max_memory` whose next memory reading is scheduled or under way.
    var memoryChecks: Set<String> = []

    /// Keeps run-time changes (started, stopped, cardinality) in the state file.
    let stateWriter: StateWriter?
    /// The state restored at start, if any (see `restore`).
    var restored: RuntimeState?

    /// `spawner` starts the workers and owns their output. `processes` and
    /// `clock` replace the real process control (`PosixProcessControl`
    /// with `spawner`) and the real clock and timer (`LoopTimer` on the
    /// supervisor's loop): the unit tests pass fakes. The real process
    /// control is a service: it spawns only while it runs (in the service
    /// group before the supervisor, as `wpmanager` passes and runs it).
    public init(
        config: ManagerConfig, spawner: Spawner, logger: Logger, stateWriter: StateWriter? = nil,
        metrics factory: any MetricsFactory = NOOPMetricsHandler.instance,
        configSource: (@Sendable () throws(ConfigError) -> ManagerConfig)? = nil,
        processes: (any ProcessControl)? = nil, clock: (any DeadlineTimer)? = nil
    ) {
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
        self.loop = loop
        self.clock = clock ?? LoopTimer(loop: loop)
        let taskNames = config.tasks.map(\.name).sorted()
        self.current = Mutex((config, taskNames))
        if let configSource {
            self.configSource = configSource
        } else {
            let file = config.file
            self.configSource = { () throws(ConfigError) -> ManagerConfig in try ConfigLoader.load(file: file) }
        }
        self.stateWriter = stateWriter
        self.logger = logger
        self.spawner = spawner
        self.processes = processes ?? PosixProcessControl(spawner: spawner)
        (shutdownRequests, shutdownRequested) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        loop.execute { LatencySensitiveThread.enter() }
        let metrics = SupervisorMetrics(taskNames: taskNames, factory: factory)
        self.metrics = metrics
        self.faultMetrics = FaultMetrics(taskNames: config.tasks.map(\.name), factory: factory)
        self.healthMetrics = HealthMetrics(taskNames: taskNames, factory: factory)
        self.events = EventBus(onLoss: { metrics.eventsLost($0) })
        self.pools = PoolTable(config.tasks.map { ($0.name, PoolStateMachine(spec: $0)) })
    }

    /// Live worker processes, spawns under way and leftover process groups,
    /// over all tasks.
    public var liveProcesses: Int {
        owners.count + lingeringGroups.count + pools.values.reduce(0) { $0 + $1.spawnsInFlight }
            + escaped.values.count(where: \.stopping)
    }

    // MARK: performing actions

    /// Performs what a pool decided: its actions, in order, then its
    /// facts (logs, events). The spawn queue's answer to a cancel (how many
    /// spawns it dropped before they began) is the pool's next event.
    func perform(_ result: PoolResult, task: String, now: Moment) {
        signalling { performActions(result, task: task, now: now) }
    }

    private func performActions(_ result: PoolResult, task: String, now: Moment) {
        var dropped = 0
        for action in result.actions {
            switch action {
            case .spawn(let count):
                if let spec = pools[task]?.spec { processes.spawn(spec, count: count) }
            case .cancelSpawns(let count):
                dropped += processes.cancelSpawns(task: task, upTo: count)
            case .signal(let pid, let signal):
                send(signal, to: pid, task: task)
            }
        }
        if let deadline = pools[task]?.nextDeadline { schedule(.pool(task), noLaterThan: deadline) }
        scheduleMemoryCheck(task: task)
        if !result.reports.isEmpty { noteReports(result.reports, task: task, now: now) }
        if dropped > 0, let follow = pools[task]?.spawnsCancelled(dropped, now: now) { perform(follow, task: task, now: now) }
        // Spawns dropped may have been the last processes a shutdown waited for.
        shutdownProgressed()
    }

    /// A spawn asked for by `.spawn` has happened (or failed).
    func spawnFinished(_ result: SpawnQueue.Result) {
        let task = result.task
        switch result.outcome {
        case .spawned(let pid, let at):
            owners[pid] = task
            processes.reported(pid)
            // Linux reuses no pid still naming a process group: a group
            // waiting for its SIGKILL under this number is empty now.
            if lingeringGroups.remove(pid) != nil { deadlines.cancel(.group(pid)) }
            logSpawned(task: task, pid: pid)
            emit(.workerSpawned(pid: pid), task: task, now: at)
            let follow = pools[task]?.spawned(pid: pid, now: at) ?? []
            if let stall = pools[task]?.stallDeadline(of: pid) { schedule(.stall(task, pid), at: stall) }
            perform(follow, task: task, now: clock.now())
            // It may have exited before it was ours to reap; so may have
            // orphans queued behind it (the SIGCHLD came while it was unknown).
            // Only then: a reap looks through every child (waitid P_ALL), and
            // doing it at each spawn made a start of 10 000 workers quadratic.
            if processes.mayHaveExited(pid) { reap() }
        case .failed(let message):
            logger.error("worker spawn failed", metadata: ["task": "\(task)", "error": "\(message)"])
            let now = clock.now()
            emit(.spawnFailed(error: message), task: task, now: now)
            if let follow = pools[task]?.spawnFailed(message: message, now: now) {
                perform(follow, task: task, now: now)
            } else {
                _ = processes.cancelSpawns(task: task, upTo: .max)
            }
            // The queue waited for this answer before spawning more of the task.
            processes.failureTaken(task: task)
        }
        shutdownProgressed()
    }

    private func send(_ signal: WorkerSignal, to pid: pid_t, task: String) {
        // `.terminate` is the task's stop signal (`stop_signal`).
        let number: Int32
        switch signal {
        case .terminate: number = pools[task]?.spec.launch.stopSignal ?? signal.number
        case .drain: number = pools[task]?.spec.drain.signal ?? signal.number
        default: number = signal.number
        }
        // Its descendants outside its group get the stop signal too. As
        // the subreaper, the manager looks for them after the signals of
        // the moment have left: one that lost its parent meanwhile is the
        // manager's own child by then, and stopped when its worker is reaped.
        // Without that, they are found while the worker's tree is whole.
        let searchEscaped = signal == .terminate
        if searchEscaped, !reapsOrphans { stopEscapedDescendants(of: pid, task: task) }
        // A worker that left its process group is signalled alone.
        processes.signalGroupOrLeader(pid, number)
        afterSignals(.signalled(signal, number: number, pid: pid, task: task, searchEscaped: searchEscaped && reapsOrphans))
    }

    // MARK: reaping

    /// Reaps every exited worker. Called on SIGCHLD (signals coalesce, so it
    /// drains until nothing is left). Only pids this supervisor spawned are
    /// waited for, so children of anything else in the process are left
    /// alone; except, when it reaps orphans (`reapsOrphans`, as PID 1 or a
    /// subreaper), any other exited child that is not a worker spawned but
    /// not reported yet.
    public func reap() {
        var exitedTasks: Set<String> = []
        reapAll(exitedTasks: &exitedTasks)
        // Their escaped descendants, now the manager's children, go with
        // them: looked for a little later (`orphanCheckDelay`), once for
        // every worker reaped meanwhile (the look reads every child of the
        // manager; fifty workers stopped together were fifty looks).
        // During a shutdown, at once: it must not end with orphans unseen.
        if reapsOrphans, !exitedTasks.isEmpty || !escaped.isEmpty {
            orphanCheckTasks.formUnion(exitedTasks)
            if shutdownStarted {
                checkOrphans()
            } else {
                schedule(.orphanCheck, noLaterThan: clock.now().instant.advanced(by: Self.orphanCheckDelay))
            }
        }
        shutdownProgressed()
    }

    private func reapAll(exitedTasks: inout Set<String>) {
        while true {
            guard let pid = processes.firstExitedChild() else { return }
            if owners[pid] != nil {
                if let task = reapOne(pid) { exitedTasks.insert(task) }
            } else if reapsOrphans, processes.withoutSpawning(pgid: pid, { !$0 }) {
                guard reapOrphan(pid) else { return }
            } else {
                // Someone else's child is first in line: check ours one by one.
                for owned in Array(owners.keys) {
                    if let task = reapOne(owned) { exitedTasks.insert(task) }
                }
                return
            }
        }
    }

    /// Looks for orphans adopted since the last look.
    private func checkOrphans() {
        deadlines.cancel(.orphanCheck)
        let tasks = orphanCheckTasks
        orphanCheckTasks = []
        stopAdoptedOrphans(exitedTasks: tasks)
    }

    /// A descendant of a worker, left to us when its parent died.
    private func reapOrphan(_ pid: pid_t) -> Bool {
        guard let status = processes.reap(pid) else { return false }
        orphansReaped += 1
        forgetEscaped(pid)
        logger.debug("orphan reaped", metadata: ["pid": "\(pid)", "status": "\(ExitStatus(waitStatus: status))"])
        return true
    }

    /// Returns the task of the worker reaped, if one was.
    @discardableResult
    private func reapOne(_ pid: pid_t) -> String? {
        guard owners[pid] != nil, let status = processes.reap(pid), let task = owners.removeValue(forKey: pid) else { return nil }
        deadlines.cancel(.stall(task, pid))
        let now = clock.now()
        let ended = ExitStatus(waitStatus: status)
        // How it ended is the pool's decision, returned with what it does about it.
        let exit = pools[task]?.exited(pid: pid, status: ended, now: now)
        logExit(task: task, pid: pid, status: ended, kind: exit?.kind)
        cleanUpGroup(pid, stateBefore: exit?.state, now: now)
        if let exit {
            noteExit(exit, task: task, now: now)
            perform(exit.result, task: task, now: now)
        }
        if !retired.isEmpty { forgetRetired(task) }
        return task
    }

    /// What is left of a reaped worker's process group does not outlive it:
    /// SIGKILL now, or at the stop deadline when the worker was being stopped.
    /// Once the group is empty its number may be a new worker's pid (spawned
    /// on the spawner thread, perhaps not reported yet): never signal that.
    private func cleanUpGroup(_ pgid: pid_t, stateBefore: WorkerRecord.State?, now: Moment) {
        if case .terminating(let killAt) = stateBefore, killAt > now.instant {
            guard processes.groupExists(pgid) else { return }
            lingeringGroups.insert(pgid)
            schedule(.group(pgid), at: killAt)
        } else {
            killGroup(pgid)
        }
    }

    /// SIGKILL to what is left of the group of a reaped worker, unless the
    /// number now belongs to a worker spawned since (not yet known here).
    func killGroup(_ pgid: pid_t) {
        // Usually the group is empty: no need to wait for a spawn under way.
        guard owners[pgid] == nil, processes.groupExists(pgid) else { return }
        processes.withoutSpawning(pgid: pgid) { reused in
            if !reused { processes.signalGroup(pgid, SIGKILL) }
        }
    }

    // MARK: deadlines

    /// What a deadline in `deadlines` is for.
    enum DeadlineTarget: Hashable {
        /// The pool's own deadlines: stop escalation, held-back spawns.
        case pool(String)
        /// A worker's stall deadline (moved lazily: a keep-alive touches nothing).
        case stall(String, pid_t)
        /// What is left of an exited worker's process group.
        case group(pid_t)
        /// The latest moment to decide stalls without the drain asked for.
        case drainTimeout(UInt64)
        /// SIGKILL to an escaped descendant of a worker (Supervisor+Escaped).
        case escaped(pid_t)
        /// Look for orphans adopted since workers were reaped (Supervisor+Escaped).
        case orphanCheck
        /// Read the memory of a task's workers (`max_memory`, Supervisor+Recycle).
        case memoryCheck(String)
        /// The end of `force_timeout` during a shutdown; 2 s later, the end
        /// of the wait for the reaping; the reaping of a cancelled shutdown
        /// (Supervisor+Lifecycle).
        case forceTimeout, reapGiveUp, reapPoll
    }

    /// The stall deadline of `pid` is due: the pool decides, and a stall
    /// (or a missed startup) is logged, emitted and acted on.
    private func checkStall(task: String, pid: pid_t, now: Moment) {
        switch pools[task]?.checkStall(pid: pid, now: now) {
        case .notDue(let deadline):
            schedule(.stall(task, pid), at: deadline)
        case .stalled(let result, let silence, let deadline):
            // Logged and emitted once the stop signals of the moment are out.
            afterSignals(.stalled(task: task, pid: pid, silence: silence, at: now))
            // How late after its deadline the stop signal goes.
            metrics.stallDetected(task: task, lag: clock.now().instant - deadline)
            perform(result, task: task, now: now)
        case .missedStartup(let result, let age, let timeoutMS, _):
            logMissedStartup(task: task, pid: pid, age: age, timeoutMS: timeoutMS)
            emit(.workerStartupTimeout(pid: pid, afterMS: Int(age.milliseconds)), task: task, now: now)
            perform(result, task: task, now: now)
        case .gone, nil:
            break
        }
    }

    /// Gives `target` the deadline `instant` (replacing the one it had).
    func schedule(_ target: DeadlineTarget, at instant: ContinuousClock.Instant) {
        deadlines.schedule(target, at: instant)
        if !firing { armTimer() }
    }

    /// Gives `target` the deadline `instant` unless it has one no later.
    func schedule(_ target: DeadlineTarget, noLaterThan instant: ContinuousClock.Instant) {
        deadlines.schedule(target, noLaterThan: instant)
        if !firing { armTimer() }
    }

    /// Arms the timer for the earliest deadline, unless it is armed for that or earlier.
    private func armTimer() {
        guard let next = deadlines.next else { return }
        if let timerAt, timerAt <= next { return }
        timerAt = next
        clock.arm(at: next) { [self] in
            assumeIsolated { $0.fireDeadlines() }
        }
    }

    /// The timer fired.
    func fireDeadlines() {
        noteRunning(now: clock.now().instant)
        timerAt = nil
        fireDue()
    }

    /// Handles every deadline due now, then arms the timer for the next.
    func fireDue() {
        let now = clock.now()
        firing = true
        // Spawns only queue work for the spawner thread, and it waits for
        // the end of the loop: fifty workers stalling together all get
        // their SIGTERM at once, before any replacement starts.
        processes.holdingSpawns { signalling { fireDue(now: now) } }
        firing = false
        armTimer()
        shutdownProgressed()
    }

    private func fireDue(now: Moment) {
        while let (target, at) = deadlines.popDue(at: now.instant) {
            switch target {
            case .pool(let name):
                if let actions = pools[name]?.tick(now: now) { perform(actions, task: name, now: now) }
            case .stall(let name, let pid):
                // Most stall deadlines come round to find a keep-alive since
                // (keep-alives move nothing): such a one only moves on. A
                // worker gone, or of a paused task, has none.
                guard let due = pools[name]?.stallDeadline(of: pid) else { continue }
                if due > now.instant {
                    deadlines.schedule(target, at: due)
                    continue
                }
                if awaitsDrain(target, at: at, due: due, now: now) { continue }
                checkStall(task: name, pid: pid, now: now)
            case .group(let pgid):
                if lingeringGroups.remove(pgid) != nil { killGroup(pgid) }
            case .drainTimeout(let token):
                drainTimedOut(token)
            case .escaped(let pid):
                killEscaped(pid)
            case .orphanCheck:
                checkOrphans()
            case .memoryCheck(let name):
                checkMemory(task: name)
            case .forceTimeout:
                forceTimeoutReached()
            case .reapGiveUp:
                reapingGivenUp()
            case .reapPoll:
                pollReap()
            }
        }
    }
}
