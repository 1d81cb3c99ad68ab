import FoundationEssentials
import Glibc
import Logging
import SystemHelpers

/// One log line per worker lifecycle event, each with `task` and `pid`
/// metadata. Levels: what an operator should see by default (stalls, crashes,
/// outside signals, held-back spawns, SIGKILL escalation) is notice or above;
/// the routine life of every worker (spawn, first keep-alive, SIGTERM, an
/// expected exit) is info, shown with `--verbose`.
extension Supervisor {
    static func metadata(_ task: String, _ pid: pid_t) -> Logger.Metadata {
        ["task": "\(task)", "pid": .stringConvertible(pid)]
    }

    func logSpawned(task: String, pid: pid_t) {
        logger.info("worker spawned", metadata: Self.metadata(task, pid))
    }

    func logFirstKeepAlive(task: String, pid: pid_t) {
        logger.info("worker sent its first keep-alive", metadata: Self.metadata(task, pid))
    }

    func logReady(task: String, pid: pid_t) {
        logger.info("worker ready", metadata: Self.metadata(task, pid))
    }

    func logMissedStartup(task: String, pid: pid_t, age: Duration, timeoutMS: Int) {
        var metadata = Self.metadata(task, pid)
        metadata["after_ms"] = .stringConvertible(age.milliseconds)
        logger.warning("worker not ready within startup_timeout (\(timeoutMS) ms)", metadata: metadata)
    }

    func logStalled(task: String, pid: pid_t, silence: Duration) {
        var metadata = Self.metadata(task, pid)
        metadata["silence_ms"] = .stringConvertible(silence.milliseconds)
        logger.warning("worker stalled: no keep-alive for \(silence.milliseconds) ms", metadata: metadata)
    }

    func logSignal(_ signal: WorkerSignal, number: Int32, task: String, pid: pid_t) {
        var metadata = Self.metadata(task, pid)
        metadata["signal"] = "\(SignalName.of(number))"
        switch signal {
        case .terminate, .freeze, .thaw, .drain: logger.info("worker signalled", metadata: metadata)
        case .kill: logger.notice("worker signalled", metadata: metadata)
        }
    }

    /// `kind`: how the worker ended, nil when it was not known (`ExitCounts.kind`).
    func logExit(task: String, pid: pid_t, status: ExitStatus, kind: ExitCounts.Kind?) {
        var metadata = Self.metadata(task, pid)
        metadata["status"] = "\(status)"
        switch status {
        case .exited(let code): metadata["exit_code"] = .stringConvertible(code)
        case .signaled(let signal, _): metadata["signal"] = "\(SignalName.of(signal))"
        }
        metadata["exit"] = "\(kind?.name ?? "unknown")"
        switch kind {
        case .crashed?, .signaled?: logger.warning("worker exited", metadata: metadata)
        default: logger.info("worker exited", metadata: metadata)
        }
    }
}
