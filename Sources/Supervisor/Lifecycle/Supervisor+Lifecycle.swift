import CShims
import FoundationEssentials
import Glibc
import ServiceLifecycle
import SystemPackage

/// Running as a service: reap on SIGCHLD, shut down on INT/TERM/QUIT (a
/// second one skips to SIGKILL), reload the config on HUP, dump the state on USR1, reopen
/// the worker log files on USR2, and on graceful shutdown stop
/// every worker within `force_timeout`.
extension Supervisor {
    /// Signals the manager reacts to; `SignalPipe` must deliver these.
    public static let handledSignals: [Int32] = [SIGCHLD, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2]

    /// Runs inside a `ServiceGroup` service, once: consumes `signals`,
    /// spawn results and keep-alives until the group's graceful shutdown,
    /// then stops every worker. The first shutdown signal begins the
    /// shutdown here and is passed on through `shutdownRequests`, for
    /// whoever shuts the group down gracefully (which ends in `run`
    /// returning). The spawn queue and the keep-alive hub are services of
    /// their own, added to the group before this one: they end after it.
    public func run(signals: AsyncStream<Int32>, keepAlives: KeepAliveHub?) async {
        precondition(!runStarted, "Supervisor.run may run once")
        runStarted = true
        becomeReaperOfOrphans()
        await withDiscardingTaskGroup { group in
            // Each stream is consumed on the supervisor's own thread.
            group.addTask { await self.consume(signals: signals) }
            group.addTask { await self.consume(spawnResults: self.processes.spawnResults) }
            if let keepAlives {
                evidence.hub = keepAlives
                group.addTask { await self.consume(keepAlives: keepAlives) }
            }
            try? await gracefulShutdown()
            await self.shutDown()
            lifecycle = .stopped
            shutdownRequested.finish()
            group.cancelAll()
        }
    }

    /// Orphaned descendants of workers (a daemon a worker started, children
    /// of a worker that died) become the manager's children instead of
    /// init's: as PID 1 (in a container) that is so anyway; otherwise the
    /// manager asks to be their subreaper. Either way it reaps them, so no
    /// zombie piles up, and tells them from its workers by pid.
    private func becomeReaperOfOrphans() {
        let problem = processes.becomeSubreaper()
        if problem == 0 {
            reapsOrphans = true
        } else {
            logger.warning("cannot become the subreaper of orphaned worker descendants: \(Errno(rawValue: problem))")
        }
    }

    // The streams are read with `next(isolation: self)`: a plain `for await`
    // left the supervisor's thread for the shared pool after each element
    // and came back for the next, two thread wake-ups per signal, spawn or
    // keep-alive batch (the pool's threads have no short slice, so on a busy
    // machine that was most of a stall's lateness). Now the producer's
    // `yield` wakes the supervisor's thread alone.

    private func consume(signals: AsyncStream<Int32>) async {
        var signals = signals.makeAsyncIterator()
        while let signal = await signals.next(isolation: self) { handle(signal: signal) }
    }

    private func consume(spawnResults: AsyncStream<SpawnQueue.Result>) async {
        var results = spawnResults.makeAsyncIterator()
        while let result = await results.next(isolation: self) { spawnFinished(result) }
    }

    /// Batches as they come; messages the hub had to shed meanwhile (the
    /// supervisor fell behind) are counted as dropped for `overload`.
    private func consume(keepAlives hub: KeepAliveHub) async {
        var shedCounted = 0
        var batches = hub.batches.makeAsyncIterator()
        while let batch = await batches.next(isolation: self) {
            let shed = hub.shedMessages
            if shed > shedCounted {
                metrics.keepAliveDropped(task: nil, reason: .overload, count: shed - shedCounted)
                shedCounted = shed
            }
            evidence.batchesReceived += 1
            receive(batch.items)
            if batch.drained != 0 { drainAnswered(batch.drained) }
        }
    }

    func handle(signal: Int32) {
        switch signal {
        case SIGCHLD:
            reap()
        case SIGHUP:
            if shutdownStarted {
                logger.notice("SIGHUP received and ignored: shutting down")
            } else {
                logger.notice("SIGHUP received: reloading the config")
                _ = try? reload()
            }
        case SIGUSR1:
            dumpState()
        case SIGUSR2:
            if spawner.output.reopenFiles() {
                logger.notice("SIGUSR2 received: reopening the worker log files")
            } else {
                logger.notice("SIGUSR2 received and ignored: no worker log files (log_dir)")
            }
        default:
            if lifecycle.shutdownSignals == 0 {
                logger.notice("\(SignalName.of(signal)) received: stopping every task")
                beginShutdown()
                lifecycle.countShutdownSignal()
                shutdownRequested.yield()
            } else {
                lifecycle.countShutdownSignal()
                logger.notice("\(SignalName.of(signal)) received again: killing every worker now")
                killEverything()
            }
        }
    }

    /// Stops every task (once) and starts the `force_timeout` clock.
    func beginShutdown() {
        guard !lifecycle.isShuttingDown else { return }
        lifecycle = .stopping(forceAt: clock.now().instant.advanced(by: .milliseconds(config.forceTimeoutMS)), signals: 0)
        _ = stopAll()
        stopAdoptedOrphans(exitedTasks: [])
    }

    /// SIGKILL to every worker and leftover process group.
    func killEverything() {
        let now = clock.now()
        for name in taskNames {
            if let actions = pools[name]?.killAll() { perform(actions, task: name, now: now) }
        }
        for pgid in lingeringGroups {
            deadlines.cancel(.group(pgid))
            killGroup(pgid)
        }
        lingeringGroups = []
        killEveryEscaped()
        shutdownProgressed()
    }

    /// Waits until every worker is gone, at most until the force deadline;
    /// then SIGKILLs what is left and waits 2 s more for the reaping. The
    /// wait ends on events: the reap of the last process (SIGCHLD), or a
    /// deadline (`.forceTimeout`, `.reapGiveUp`). Cancelled, the supervisor
    /// hears no SIGCHLD and takes no spawn results any more: it SIGKILLs
    /// every worker and reaps every 5 ms (`.reapPoll`) until they are gone.
    func shutDown() async {
        beginShutdown()
        let deadline = forceDeadline ?? clock.now().instant
        shutdown.waiting = true
        schedule(.forceTimeout, at: deadline)
        schedule(.reapGiveUp, at: deadline.advanced(by: .seconds(2)))
        reap()
        if !shutdown.over, Task.isCancelled { shutdownCancelled() }
        if !shutdown.over {
            await withTaskCancellationHandler {
                await withCheckedContinuation { shutdown.continuation = $0 }
            } onCancel: { [self] in
                loop.execute { self.assumeIsolated { $0.shutdownCancelled() } }
            }
        }
        for target in [DeadlineTarget.forceTimeout, .reapGiveUp, .reapPoll] { deadlines.cancel(target) }
        clock.cancel()
        timerAt = nil
        logger.info("every worker stopped")
        events.finishAll()
    }

    /// Processes left while `shutDown` waits (once cancelled, spawns under
    /// way and escaped processes are not waited for: what the spawner
    /// started gets its parent-death signal).
    private var processesLeft: Int {
        shutdown.cancelled ? owners.count + lingeringGroups.count : liveProcesses
    }

    /// After anything that may end a process or a spawn: the end of `shutDown`'s wait, once none is left.
    func shutdownProgressed() {
        guard shutdown.waiting, !shutdown.over, processesLeft == 0 else { return }
        shutdown.end()
    }

    /// `force_timeout` ran out during the shutdown.
    func forceTimeoutReached() {
        reap()
        guard shutdown.waiting, !shutdown.over, !shutdown.killed else { return }
        logger.warning("force_timeout reached: killing \(liveProcesses) remaining worker(s)")
        killEverything()
        shutdown.killed = true
    }

    /// 2 s after `force_timeout`, workers are still there.
    func reapingGivenUp() {
        reap()
        guard shutdown.waiting, !shutdown.over else { return }
        logger.error("\(owners.count) worker(s) could not be reaped; exiting anyway")
        shutdown.end()
    }

    /// The task running `shutDown` was cancelled.
    func shutdownCancelled() {
        guard shutdown.waiting, !shutdown.over, !shutdown.cancelled else { return }
        shutdown.cancelled = true
        if !shutdown.killed {
            processes.closeSpawning()
            killEverything()
            shutdown.killed = true
        }
        pollReap()
    }

    /// Cancelled, no SIGCHLD arrives: reaps every 5 ms.
    func pollReap() {
        reap()
        guard shutdown.waiting, !shutdown.over else { return }
        schedule(.reapPoll, at: clock.now().instant.advanced(by: .milliseconds(5)))
    }
}

/// Where `shutDown` is in its wait.
struct ShutdownProgress {
    var waiting = false
    var killed = false
    var cancelled = false
    /// The wait has ended (or need not begin).
    private(set) var over = false
    var continuation: CheckedContinuation<Void, Never>?

    mutating func end() {
        over = true
        continuation?.resume()
        continuation = nil
    }
}
