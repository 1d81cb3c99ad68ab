import FoundationEssentials
import Glibc

/// Operations on a whole pool: a signal to every worker, starting every
/// autostart task.
extension Supervisor {
    /// Sends `signal` to the process group of every worker of `name`
    /// (stopping ones included); returns their pids. Refused when the task
    /// has no worker at all and is not running.
    public func signal(_ name: String, signal: Int32) throws(ControlError) -> [pid_t] {
        guard let pool = pools[name], !retired.contains(name) else { throw .unknownTask(name) }
        let pids = pool.workers.keys.sorted()
        guard pool.phase == .running || !pids.isEmpty else { throw .notRunning(name) }
        // A worker that left its process group is signalled alone.
        for pid in pids { processes.signalGroupOrLeader(pid, signal) }
        logger.notice(
            "\(PoolSignal.name(signal)) sent to \(pids.count) worker(s)", metadata: ["task": "\(name)", "signal": "\(PoolSignal.name(signal))"])
        return pids
    }

    /// Starts every autostart task that is not running; returns their names.
    public func startAll() -> [String] {
        guard !shutdownStarted else { return [] }
        return config.tasks.filter { $0.autostart && !retired.contains($0.name) && pools[$0.name]?.phase == .stopped }
            .map(\.name).sorted().filter { (try? start($0)) == .started }
    }
}
