import CShims
import CoreMetrics
import Foundation
import HeapModule
import KeepAlive
import Logging
import ServiceLifecycle
import SystemPackage

/// The one owner of every pool. Control requests, reaped children and timer
/// deadlines all become events for the pools' state machines; this actor
/// performs the actions they return (spawn, signal) and keeps one timer armed
/// for the earliest deadline.
public actor Supervisor {
    public nonisolated let config: ManagerConfig
    public nonisolated let taskNames: [String]
    let logger: Logger
    let spawner: Spawner
    var pools: [String: PoolStateMachine]
    /// Which task each live worker belongs to.
    var owners: [pid_t: String] = [:]
    /// Process groups whose leader was reaped while being stopped, with the
    /// SIGKILL deadline for what is left of them.
    var lingeringGroups: [pid_t: ContinuousClock.Instant] = [:]
    var deadlines = Heap<Deadline>()
    var scheduled: [String: ContinuousClock.Instant] = [:]
    var timer: Task<Void, Never>?
    var timerAt: ContinuousClock.Instant?
    var shutdownStarted = false
    var shutdownSignals = 0
    var autotasksStarted = false
    var forceDeadline: ContinuousClock.Instant?
    /// Received messages that name no task, by reason.
    var unattributedDrops: [KeepAliveDrop: Int] = [:]
    /// Lifecycle events for subscribers, and the metrics they move (Events/).
    public nonisolated let events: EventBus
    let metrics: SupervisorMetrics
    var backoffReported: [String: ContinuousClock.Instant] = [:]

    public init(config: ManagerConfig, spawner: Spawner, logger: Logger, metrics factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.config = config
        self.logger = logger
        self.spawner = spawner
        self.taskNames = config.tasks.map(\.name).sorted()
        let metrics = SupervisorMetrics(taskNames: taskNames, factory: factory)
        self.metrics = metrics
        self.events = EventBus(onLoss: { metrics.eventsLost($0) })
        self.pools = Dictionary(uniqueKeysWithValues: config.tasks.map { ($0.name, PoolStateMachine(spec: $0)) })
    }

    /// Live worker processes and leftover process groups, over all tasks.
    public var liveProcesses: Int { owners.count + lingeringGroups.count }

    // MARK: performing actions

    func perform(_ actions: [PoolAction], task: String, now: Moment) {
        for action in actions {
            switch action {
            case .spawn(let count):
                spawn(count: count, task: task, now: now)
            case .signal(let pid, let signal):
                send(signal, to: pid, task: task)
            }
        }
        if let deadline = pools[task]?.nextDeadline { schedule(.pool(task), at: deadline) }
        noteBackoff(task: task, now: now)
    }

    private func spawn(count: Int, task: String, now: Moment) {
        guard let spec = pools[task]?.spec else { return }
        for _ in 0..<count {
            do {
                let pid = try spawner.spawn(spec)
                owners[pid] = task
                // Linux reuses no pid still naming a process group: a group
                // waiting for its SIGKILL under this number is empty now.
                lingeringGroups[pid] = nil
                logger.debug("worker spawned", metadata: ["task": "\(task)", "pid": "\(pid)"])
                emit(.workerSpawned(pid: pid), task: task, now: now)
                let follow = pools[task]!.spawned(pid: pid, now: now)
                if let stall = pools[task]!.stallDeadline(of: pid) { schedule(.stall(task, pid), at: stall) }
                if !follow.isEmpty { perform(follow, task: task, now: now) }
            } catch {
                let message = "cannot start \(spec.command): \(error.description)"
                logger.error("worker spawn failed", metadata: ["task": "\(task)", "error": "\(message)"])
                emit(.spawnFailed(error: message), task: task, now: now)
                _ = pools[task]!.spawnFailed(message: message, now: now)
                return
            }
        }
    }

    private func send(_ signal: WorkerSignal, to pid: pid_t, task: String) {
        logger.debug(
            "signalling worker", metadata: ["task": "\(task)", "pid": "\(pid)", "signal": "\(SignalName.of(signal.number))"])
        if kill(-pid, signal.number) != 0, errno == ESRCH {
            // The worker left its process group: signal it alone.
            _ = kill(pid, signal.number)
        }
        noteSignal(signal, to: pid, task: task)
    }

    // MARK: reaping

    /// Reaps every exited worker. Called on SIGCHLD (signals coalesce, so it
    /// drains until nothing is left). Only pids this supervisor spawned are
    /// waited for, so children of anything else in the process are left alone.
    public func reap() {
        while true {
            let pid = wpm_peek_exited_child()
            if pid <= 0 { return }
            guard owners[pid] != nil else {
                // Someone else's child is first in line: check ours one by one.
                for owned in Array(owners.keys) { reapOne(owned) }
                return
            }
            reapOne(pid)
        }
    }

    private func reapOne(_ pid: pid_t) {
        var status: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &status, WNOHANG) } while rc < 0 && errno == EINTR
        guard rc == pid, let task = owners.removeValue(forKey: pid) else { return }
        let now = Moment.now()
        let exit = ExitStatus(waitStatus: status)
        let before = pools[task]?.workers[pid]?.state
        logger.info("worker exited", metadata: ["task": "\(task)", "pid": "\(pid)", "status": "\(exit)"])
        // Before any replacement is spawned: it could get this very pid, and
        // so lead a process group with this number.
        cleanUpGroup(pid, stateBefore: before, now: now)
        noteExit(pid: pid, status: exit, task: task, now: now)
        if let actions = pools[task]?.exited(pid: pid, status: exit, now: now) {
            perform(actions, task: task, now: now)
        }
    }

    /// What is left of a reaped worker's process group does not outlive it:
    /// SIGKILL now, or at the stop deadline when the worker was being stopped.
    private func cleanUpGroup(_ pgid: pid_t, stateBefore: WorkerRecord.State?, now: Moment) {
        guard kill(-pgid, 0) == 0 else { return }
        if case .terminating(let killAt) = stateBefore, killAt > now.instant {
            lingeringGroups[pgid] = killAt
            schedule(.group(pgid), at: killAt)
        } else {
            _ = kill(-pgid, SIGKILL)
        }
    }

    // MARK: deadlines

    struct Deadline: Comparable {
        enum Target: Equatable {
            /// The pool's own deadlines: stop escalation, held-back spawns.
            case pool(String)
            /// A worker's stall deadline (one entry per worker; moved lazily).
            case stall(String, pid_t)
            /// What is left of an exited worker's process group.
            case group(pid_t)
        }
        var at: ContinuousClock.Instant
        var target: Target

        static func < (a: Deadline, b: Deadline) -> Bool { a.at < b.at }
        static func == (a: Deadline, b: Deadline) -> Bool { a.at == b.at && a.target == b.target }
    }

    /// The actions to perform when `pid` has stalled.
    private func checkStall(task: String, pid: pid_t, now: Moment) -> [PoolAction]? {
        switch pools[task]?.checkStall(pid: pid, now: now) {
        case .notDue(let deadline):
            schedule(.stall(task, pid), at: deadline)
            return nil
        case .stalled(let actions):
            let silence = now.instant - (pools[task]?.workers[pid]?.lastAliveInstant ?? pools[task]?.workers[pid]?.startedAt.instant ?? now.instant)
            logger.warning(
                "worker stalled: no keep-alive for \(silence.milliseconds) ms",
                metadata: ["task": "\(task)", "pid": "\(pid)"])
            emit(.workerStalled(pid: pid, silenceMS: Int(silence.milliseconds)), task: task, now: now)
            return actions
        case .gone, nil:
            return nil
        }
    }

    func schedule(_ target: Deadline.Target, at instant: ContinuousClock.Instant) {
        if case .pool(let name) = target {
            if let existing = scheduled[name], existing <= instant { return }
            scheduled[name] = instant
        }
        deadlines.insert(Deadline(at: instant, target: target))
        armTimer()
    }

    private func armTimer() {
        guard let next = deadlines.min?.at else { return }
        if let timerAt, timerAt <= next { return }
        timer?.cancel()
        timerAt = next
        timer = Task { [weak self] in
            try? await Task.sleep(until: next, tolerance: .zero, clock: .continuous)
            if Task.isCancelled { return }
            await self?.fireDeadlines()
        }
    }

    func fireDeadlines() {
        timer = nil
        timerAt = nil
        let now = Moment.now()
        // Signals first, for every due deadline; spawns (about a millisecond
        // each) after, so fifty workers stalling together all get their
        // SIGTERM on time.
        // The spawn counts are recomputed then: a pool asks for what it lacks
        // at each event, so deferred requests must not be added up.
        var refill: [String] = []
        func run(_ actions: [PoolAction], task: String) {
            perform(actions.filter { !$0.isSpawn }, task: task, now: now)
            if actions.contains(where: \.isSpawn), !refill.contains(task) { refill.append(task) }
        }
        while let first = deadlines.min, first.at <= now.instant {
            _ = deadlines.removeMin()
            switch first.target {
            case .pool(let name):
                if scheduled[name] == first.at { scheduled[name] = nil }
                if let actions = pools[name]?.tick(now: now) { run(actions, task: name) }
            case .stall(let name, let pid):
                if let actions = checkStall(task: name, pid: pid, now: now) { run(actions, task: name) }
            case .group(let pgid):
                if let killAt = lingeringGroups[pgid], killAt <= now.instant {
                    lingeringGroups[pgid] = nil
                    _ = kill(-pgid, SIGKILL)
                }
            }
        }
        for task in refill {
            if let actions = pools[task]?.tick(now: now) { perform(actions, task: task, now: now) }
        }
        armTimer()
    }
}
