import CShims
import Glibc
import KeepAlive
import Logging
import SystemHelpers

/// A descendant of a worker that left the worker's process group (`setsid`,
/// a double fork), so signals to the group miss it (README, "Faults").
struct EscapedProcess {
    /// Held open so that a signal never reaches a process that merely got its pid.
    let pidfd: Int32
    /// The task it belongs to (its worker's, or the one its environment names).
    let task: String?
    /// SIGKILL then, unless it is gone; nil while it is not being stopped.
    var killAt: ContinuousClock.Instant?
}

/// Escaped descendants of workers are stopped like their workers: the stop
/// signal, the task's grace period, SIGKILL. They are found in two places:
/// under a worker that is being stopped (its descendants in /proc), and
/// among the manager's own children after a reap (adopted as subreaper when
/// their parent died).
extension Supervisor {
    /// Worker `pid` of `task` gets the stop signal: so does every descendant
    /// of it outside its process group.
    func stopEscapedDescendants(of pid: pid_t, task: String) {
        let descendants = ProcFS.descendants(of: pid)
        guard !descendants.isEmpty else { return }
        for descendant in descendants where ProcFS.processGroup(of: descendant) != pid {
            stopEscaped(descendant, task: task, pidfd: nil)
        }
    }

    /// After a reap: children of the manager that are no workers were
    /// adopted (their parent died). Those of a task that just lost a worker
    /// (`exitedTasks`), of a stopped task, or of no known task are stopped;
    /// the rest (a double fork under a live worker) are stopped with their task.
    func stopAdoptedOrphans(exitedTasks: Set<String>) {
        guard reapsOrphans else { return }
        for child in ProcFS.children(of: getpid()) where owners[child] == nil {
            if let known = escaped[child] {
                if known.killAt == nil, taskIsStopped(known.task) { stopEscaped(child, task: known.task, pidfd: known.pidfd) }
                continue
            }
            guard spawns.withoutSpawning(pgid: child, { !$0 }) else { continue }
            let fd = wpm_pidfd_open(child)
            guard fd >= 0 else { continue }
            // Read after the pidfd is open: the environment is that process's.
            let task = ProcFS.environment(KeepAliveEnvironment.taskName, of: child).flatMap { pools[$0] != nil ? $0 : nil }
            if task.map({ exitedTasks.contains($0) || taskIsStopped($0) }) ?? true {
                stopEscaped(child, task: task, pidfd: fd)
            } else {
                escaped[child] = EscapedProcess(pidfd: fd, task: task, killAt: nil)
            }
        }
        // Adopted ones of a task that has stopped since.
        for (pid, entry) in escaped where entry.killAt == nil && taskIsStopped(entry.task) {
            stopEscaped(pid, task: entry.task, pidfd: entry.pidfd)
        }
    }

    private func taskIsStopped(_ task: String?) -> Bool {
        guard let task, let pool = pools[task] else { return true }
        return pool.phase == .stopped || shutdownStarted
    }

    private func stopEscaped(_ pid: pid_t, task: String?, pidfd: Int32?) {
        guard escaped[pid]?.killAt == nil else { return }
        let fd = pidfd ?? escaped[pid]?.pidfd ?? wpm_pidfd_open(pid)
        guard fd >= 0 else { return }
        guard wpm_pidfd_send_signal(fd, SIGTERM) == 0 else {
            close(fd)
            escaped[pid] = nil
            return
        }
        let grace = task.flatMap { pools[$0]?.gracePeriod } ?? .milliseconds(config.tasks.map(\.gracePeriodMS).max() ?? 0)
        let killAt = ContinuousClock.now.advanced(by: grace)
        escaped[pid] = EscapedProcess(pidfd: fd, task: task, killAt: killAt)
        schedule(.escaped(pid), at: killAt)
        faultMetrics.escapedStopped(task: task)
        logger.notice(
            "stopping process \(pid) that left its worker's process group",
            metadata: ["task": "\(task ?? "")", "pid": "\(pid)", "grace_ms": .stringConvertible(grace.milliseconds)])
    }

    /// The grace period of an escaped process ran out.
    func killEscaped(_ pid: pid_t, now: ContinuousClock.Instant) {
        guard let entry = escaped[pid], let killAt = entry.killAt, killAt <= now else { return }
        _ = wpm_pidfd_send_signal(entry.pidfd, SIGKILL)
        // If it is the manager's child, it is reaped as an orphan; if not, its parent reaps it.
        forgetEscaped(pid)
    }

    /// SIGKILL to every escaped process now (the second shutdown signal).
    func killEveryEscaped() {
        for (pid, entry) in escaped {
            _ = wpm_pidfd_send_signal(entry.pidfd, SIGKILL)
            forgetEscaped(pid)
        }
    }

    func forgetEscaped(_ pid: pid_t) {
        if let entry = escaped.removeValue(forKey: pid) { close(entry.pidfd) }
    }
}
