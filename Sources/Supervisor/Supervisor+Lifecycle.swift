import Foundation
import ServiceLifecycle

/// Running as a service: reap on SIGCHLD, shut down on INT/TERM/QUIT (a
/// second one skips to SIGKILL), ignore HUP, and on graceful shutdown stop
/// every worker within `force_timeout`.
extension Supervisor {
    /// Signals the manager reacts to; `SignalPipe` must deliver these.
    public static let handledSignals: [Int32] = [SIGCHLD, SIGINT, SIGTERM, SIGQUIT, SIGHUP]

    /// Runs inside a `ServiceGroup` service: consumes `signals` until the
    /// group's graceful shutdown, then stops every worker. `requestShutdown` is called
    /// on the first shutdown signal (it should trigger the service group's
    /// graceful shutdown, which ends in `run` returning).
    public func run(
        signals: AsyncStream<Int32>, keepAlives: KeepAliveHub?,
        requestShutdown: @escaping @Sendable () async -> Void
    ) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await signal in signals {
                    await self.handle(signal: signal, requestShutdown: requestShutdown)
                }
            }
            if let keepAlives {
                group.addTask {
                    for await batch in keepAlives.batches {
                        await self.receive(batch)
                    }
                }
            }
            try? await gracefulShutdown()
            await self.shutDown()
            keepAlives?.shutdown()
            group.cancelAll()
        }
    }

    func handle(signal: Int32, requestShutdown: @Sendable () async -> Void) async {
        switch signal {
        case SIGCHLD:
            reap()
        case SIGHUP:
            logger.notice("SIGHUP received and ignored (reserved for configuration reload)")
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
    }

    /// SIGKILL to every worker and leftover process group.
    func killEverything() {
        let now = Moment.now()
        for name in taskNames {
            if let actions = pools[name]?.killAll() { perform(actions, task: name, now: now) }
        }
        for pgid in lingeringGroups.keys { _ = kill(-pgid, SIGKILL) }
        lingeringGroups = [:]
    }

    /// Waits until every worker is gone, at most until the force deadline;
    /// then SIGKILLs what is left and waits a little more for the reaping.
    func shutDown() async {
        beginShutdown()
        let deadline = forceDeadline ?? .now
        var killed = false
        while true {
            reap()
            if liveProcesses == 0 { break }
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
