import FoundationEssentials
import Glibc
import KeepAlive
import SystemHelpers

/// Where the supervisor reports lifecycle changes: one call at each spot in
/// the event loop, turned here into an event for subscribers and the
/// metrics it moves.
extension Supervisor {
    func emit(_ kind: SupervisorEvent.Kind, task: String, now: Moment) {
        let event = SupervisorEvent(time: now.date, task: task, kind: kind)
        metrics.record(event)
        events.publish(event)
    }

    /// `pid`, a worker of `task`, was reaped: how it ended and why (`kind`
    /// nil: not a worker the pool knew).
    func noteExit(pid: pid_t, status: ExitStatus, kind: ExitCounts.Kind?, task: String, now: Moment) {
        guard let kind else { return }
        emit(.workerExited(pid: pid, status: status, reason: kind), task: task, now: now)
    }

    /// `signal` was sent to `pid`: SIGKILL is an event; the SIGTERM of a
    /// stalled worker measures how late after its deadline it came.
    func noteSignal(_ signal: WorkerSignal, to pid: pid_t, task: String) {
        switch signal {
        case .kill:
            emit(.workerKilled(pid: pid), task: task, now: .now())
        case .terminate:
            guard let pool = pools[task], let worker = pool.workers[pid], worker.stalled else { return }
            let deadline = pool.stallDeadline(for: worker)
            metrics.stallDetected(task: task, lag: ContinuousClock.now - deadline)
        case .freeze, .thaw, .drain:
            break
        }
    }

    /// After the actions of an event: spawns of `task` newly held back are
    /// a `backoff` event and a log line.
    func noteBackoff(task: String, now: Moment) {
        guard let pool = pools[task], pool.phase == .running, pool.activeWorkers < pool.cardinality,
            let until = pool.spawnNotBefore, until > now.instant, backoffReported[task] != until
        else { return }
        backoffReported[task] = until
        let delay = now.instant.duration(to: until)
        logger.notice(
            "spawns held back for \(delay.milliseconds) ms",
            metadata: [
                "task": "\(task)", "delay_ms": .stringConvertible(delay.milliseconds),
                "until": "\(LogTimestamp.format(now.advanced(by: delay).date))",
            ])
        emit(
            .backoff(
                until: now.advanced(by: delay).date, delayMS: Int(delay.milliseconds),
                reason: pool.lastFailure?.spawnFailed == true ? .spawnFailed : .quickExit),
            task: task, now: now)
    }

    /// A valid keep-alive of a worker of `task`; `ready` when the worker became ready with it.
    func noteKeepAlive(task: String, pid: pid_t, ready: Bool, now: Moment) {
        metrics.keepAliveReceived(task: task)
        if ready { emit(.workerReady(pid: pid), task: task, now: now) }
    }

    /// A received message did not count.
    func noteDrop(task: String?, reason: KeepAliveDrop) {
        metrics.keepAliveDropped(task: task, reason: reason)
    }

    /// Sets the gauges (workers by state, cardinality, running, event
    /// subscribers) for a scrape.
    public func refreshMetrics() {
        metrics.eventSubscribers(events.subscriberCount)
        if let hub = evidence.hub { faultMetrics.connections(hub.connections) }
        refreshHealthMetrics()
        for (name, pool) in pools {
            let running = pool.activeWorkers
            metrics.poolGauges(
                task: name, running: running, stopping: pool.workers.count - running, ready: pool.readyWorkers,
                cardinality: pool.cardinality, isRunning: pool.phase == .running)
        }
    }
}
