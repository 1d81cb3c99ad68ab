import FoundationEssentials
import Glibc
import Logging

/// SIGUSR1: every task and every worker with its state, one log line each
/// (notice, so they show at the default level).
extension Supervisor {
    func dumpState() {
        let now = clock.now()
        let workerCount = pools.values.reduce(0) { $0 + $1.workers.count }
        logger.notice(
            "state dump: \(taskNames.count) task(s), \(workerCount) worker(s)",
            metadata: ["tasks": .stringConvertible(taskNames.count), "workers": .stringConvertible(workerCount)])
        for name in taskNames {
            guard let pool = pools[name] else { continue }
            let status = pool.status(now: now)
            var metadata: Logger.Metadata = [
                "task": "\(name)",
                "state": "\(status.running ? "running" : "stopped")",
                "active_workers": .stringConvertible(status.activeWorkers),
                "ready_workers": .stringConvertible(status.readyWorkers),
                "cardinality": .stringConvertible(status.cardinality),
                "dead_workers": .stringConvertible(status.deadWorkers),
                "clean_exits": .stringConvertible(status.exits.clean),
                "crashed_workers": .stringConvertible(status.exits.crashed),
                "killed_workers": .stringConvertible(status.exits.signaled),
                "stalled_workers": .stringConvertible(status.stalledWorkers),
            ]
            if let started = status.startedAt { metadata["started_at"] = "\(LogTimestamp.format(started))" }
            if let next = status.nextSpawnAt { metadata["next_spawn_at"] = "\(LogTimestamp.format(next))" }
            logger.notice("task \(name): \(status.running ? "running" : "stopped")", metadata: metadata)
            for worker in pool.workers.values.sorted(by: { $0.pid < $1.pid }) {
                var metadata = Self.metadata(name, worker.pid)
                metadata["state"] = "\(Self.stateName(worker.state))"
                metadata["started_at"] = "\(LogTimestamp.format(worker.startedAt.date))"
                metadata["ready"] = "\(worker.isReady)"
                if let alive = worker.lastAliveAt { metadata["last_alive_at"] = "\(LogTimestamp.format(alive))" }
                metadata["keepalives"] = .stringConvertible(worker.keepAlives)
                if let reported = worker.reportedStatus { metadata["status"] = "\(reported.rawValue)" }
                if let job = worker.job { metadata["job"] = "\(job)" }
                logger.notice("worker \(worker.pid) of \(name): \(Self.stateName(worker.state))", metadata: metadata)
            }
        }
    }

    static func stateName(_ state: WorkerRecord.State) -> String {
        switch state {
        case .running: "running"
        case .terminating: "stopping"
        case .killed: "killed"
        case .draining: "draining"
        }
    }
}
