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

    /// A worker of `task` was reaped: how it ended and why, as its pool decided.
    func noteExit(_ exit: WorkerExit, task: String, now: Moment) {
        emit(.workerExited(pid: exit.pid, status: exit.status, reason: exit.kind), task: task, now: now)
    }

    /// `signal` was sent to `pid`: SIGKILL is an event.
    func noteSignal(_ signal: WorkerSignal, to pid: pid_t, task: String) {
        if signal == .kill { emit(.workerKilled(pid: pid), task: task, now: clock.now()) }
    }

    /// Spawns of `task` are held back for `delay` (the pool's backoff
    /// report): a `backoff` event and a log line.
    func noteBackoff(delay: Duration, until: Moment, reason: SupervisorEvent.BackoffReason, task: String, now: Moment) {
        logger.notice(
            "spawns held back for \(delay.milliseconds) ms",
            metadata: [
                "task": "\(task)", "delay_ms": .stringConvertible(delay.milliseconds),
                "until": "\(LogTimestamp.format(until.date))",
            ])
        emit(.backoff(until: until.date, delayMS: Int(delay.milliseconds), reason: reason), task: task, now: now)
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
