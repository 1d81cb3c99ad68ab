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
    /// Whether it is being stopped (its SIGKILL is `.escaped` in the supervisor's deadlines).
    var stopping: Bool
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
        for descendant in processes.descendantsOutsideGroup(of: pid) {
            stopEscaped(descendant, task: task, pidfd: nil)
        }
    }

    /// After a reap: children of the manager that are no workers were
    /// adopted (their parent died). Those of a task that just lost a worker
    /// (`exitedTasks`), of a stopped task, or of no known task are stopped;
    /// the rest (a double fork under a live worker) are stopped with their task.
    func stopAdoptedOrphans(exitedTasks: Set<String>) {
        guard reapsOrphans else { return }
        for child in processes.children() where owners[child] == nil {
            if let known = escaped[child] {
                if !known.stopping, taskIsStopped(known.task) { stopEscaped(child, task: known.task, pidfd: known.pidfd) }
                continue
            }
            guard processes.withoutSpawning(pgid: child, { !$0 }), let fd = processes.openHandle(child) else { continue }
            // Read after the pidfd is open: the environment is that process's.
            let task = processes.taskName(of: child).flatMap { pools[$0] != nil ? $0 : nil }
            if task.map({ exitedTasks.contains($0) || taskIsStopped($0) }) ?? true {
                stopEscaped(child, task: task, pidfd: fd)
            } else {
                escaped[child] = EscapedProcess(pidfd: fd, task: task, stopping: false)
            }
        }
        // Adopted ones of a task that has stopped since.
        for (pid, entry) in escaped where !entry.stopping && taskIsStopped(entry.task) {
            stopEscaped(pid, task: entry.task, pidfd: entry.pidfd)
        }
    }

    private func taskIsStopped(_ task: String?) -> Bool {
        guard let task, let pool = pools[task] else { return true }
        return pool.phase == .stopped || shutdownStarted
    }

    private func stopEscaped(_ pid: pid_t, task: String?, pidfd: Int32?) {
        guard escaped[pid]?.stopping != true, let fd = pidfd ?? escaped[pid]?.pidfd ?? processes.openHandle(pid) else { return }
        guard processes.signal(handle: fd, SIGTERM) else {
            processes.closeHandle(fd)
            escaped[pid] = nil
            return
        }
        let grace = task.flatMap { pools[$0]?.gracePeriod } ?? .milliseconds(config.tasks.map(\.gracePeriodMS).max() ?? 0)
        escaped[pid] = EscapedProcess(pidfd: fd, task: task, stopping: true)
        schedule(.escaped(pid), at: clock.now().instant.advanced(by: grace))
        faultMetrics.escapedStopped(task: task)
        logger.notice(
            "stopping process \(pid) that left its worker's process group",
            metadata: ["task": "\(task ?? "")", "pid": "\(pid)", "grace_ms": .stringConvertible(grace.milliseconds)])
    }

    /// The grace period of an escaped process ran out.
    func killEscaped(_ pid: pid_t) {
        guard let entry = escaped[pid], entry.stopping else { return }
        _ = processes.signal(handle: entry.pidfd, SIGKILL)
        // If it is the manager's child, it is reaped as an orphan; if not, its parent reaps it.
        forgetEscaped(pid)
    }

    /// SIGKILL to every escaped process now (the second shutdown signal).
    func killEveryEscaped() {
        for (pid, entry) in escaped {
            _ = processes.signal(handle: entry.pidfd, SIGKILL)
            forgetEscaped(pid)
        }
    }

    func forgetEscaped(_ pid: pid_t) {
        deadlines.cancel(.escaped(pid))
        if let entry = escaped.removeValue(forKey: pid) { processes.closeHandle(entry.pidfd) }
    }
}
