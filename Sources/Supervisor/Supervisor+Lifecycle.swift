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

    /// Runs inside a `ServiceGroup` service: consumes `signals` until the
    /// group's graceful shutdown, then stops every worker. `requestShutdown` is called
    /// on the first shutdown signal (it should trigger the service group's
    /// graceful shutdown, which ends in `run` returning).
    public func run(
        signals: AsyncStream<Int32>, keepAlives: KeepAliveHub?,
        requestShutdown: @escaping @Sendable () async -> Void
    ) async {
        becomeReaperOfOrphans()
        await withDiscardingTaskGroup { group in
            // Each stream is consumed on the supervisor's own thread.
            group.addTask { await self.consume(signals: signals, requestShutdown: requestShutdown) }
            group.addTask { await self.consume(spawnResults: self.spawns.results) }
            if let keepAlives {
                evidence.hub = keepAlives
                group.addTask { await self.consume(keepAlives: keepAlives) }
            }
            try? await gracefulShutdown()
            await self.shutDown()
            keepAlives?.shutdown()
            spawns.close()
            group.cancelAll()
        }
    }

    /// Orphaned descendants of workers (a daemon a worker started, children
    /// of a worker that died) become the manager's children instead of
    /// init's: as PID 1 (in a container) that is so anyway; otherwise the
    /// manager asks to be their subreaper. Either way it reaps them, so no
    /// zombie piles up, and tells them from its workers by pid.
    private func becomeReaperOfOrphans() {
        let problem = getpid() == 1 ? 0 : wpm_become_subreaper()
        if problem == 0 {
            reapsOrphans = true
        } else {
            logger.warning("cannot become the subreaper of orphaned worker descendants: \(Errno(rawValue: problem))")
        }
    }

    private func consume(signals: AsyncStream<Int32>, requestShutdown: @Sendable () async -> Void) async {
        for await signal in signals { await handle(signal: signal, requestShutdown: requestShutdown) }
    }

    private func consume(spawnResults: AsyncStream<SpawnQueue.Result>) async {
        for await result in spawnResults { spawnFinished(result) }
    }

    /// Batches as they come; messages the hub had to shed meanwhile (the
    /// supervisor fell behind) are counted as dropped for `overload`.
    private func consume(keepAlives hub: KeepAliveHub) async {
        var shedCounted = 0
        for await batch in hub.batches {
            let shed = hub.shedMessages
            if shed > shedCounted {
                metrics.keepAliveDropped(task: nil, reason: .overload, count: shed - shedCounted)
                shedCounted = shed
            }
            receive(batch.items)
            if batch.drained != 0 { drainAnswered(batch.drained) }
        }
    }

    func handle(signal: Int32, requestShutdown: @Sendable () async -> Void) async {
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
            shutdownSignals += 1
            if shutdownSignals == 1 {
                logger.notice("\(SignalName.of(signal)) received: stopping every task")
                beginShutdown()
                await requestShutdown()
            } else {
                logger.notice("\(SignalName.of(signal)) received again: killing every worker now")
                killEverything()
            }
        }
    }

    /// Stops every task (once) and starts the `force_timeout` clock.
    func beginShutdown() {
        guard !shutdownStarted else { return }
        shutdownStarted = true
        forceDeadline = ContinuousClock.now.advanced(by: .milliseconds(config.forceTimeoutMS))
        _ = stopAll()
        stopAdoptedOrphans(exitedTasks: [])
    }

    /// SIGKILL to every worker and leftover process group.
    func killEverything() {
        let now = Moment.now()
        for name in taskNames {
            if let actions = pools[name]?.killAll() { perform(actions, task: name, now: now) }
        }
        for pgid in lingeringGroups.keys { killGroup(pgid) }
        lingeringGroups = [:]
        killEveryEscaped()
    }

    /// Waits until every worker is gone, at most until the force deadline;
    /// then SIGKILLs what is left and waits a little more for the reaping.
    func shutDown() async {
        beginShutdown()
        let deadline = forceDeadline ?? .now
        var killed = false
        while true {
            reap()
            // Cancelled, the supervisor takes no spawn results any more: it
            // does not wait for spawns under way (the queue is closed below;
            // what the spawner started gets its parent-death signal).
            if (Task.isCancelled ? owners.count + lingeringGroups.count : liveProcesses) == 0 { break }
            let now = ContinuousClock.now
            if !killed, now >= deadline {
                logger.warning("force_timeout reached: killing \(liveProcesses) remaining worker(s)")
                killEverything()
                killed = true
            } else if killed, now >= deadline.advanced(by: .seconds(2)) {
                logger.error("\(owners.count) worker(s) could not be reaped; exiting anyway")
                break
            }
            if Task.isCancelled {
                if !killed {
                    spawns.close()
                    killEverything()
                    killed = true
                }
                usleep(5_000)
            } else {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        timer?.cancel()
        logger.info("every worker stopped")
        events.finishAll()
    }
}
