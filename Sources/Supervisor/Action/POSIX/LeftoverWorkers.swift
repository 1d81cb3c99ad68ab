import CShims
import FoundationEssentials
import Glibc
import KeepAlive
import Logging

/// Workers of an earlier run of the same manager that are still running
/// because that manager died without stopping them (`kill -9`, a crash).
///
/// Every worker carries `WPM_MANAGER=ID` in its environment, ID naming this
/// manager's setup (the absolute path of its state file); children the
/// workers started inherit it. At start, before any task starts, the
/// manager stops every process of this user that carries its ID: they are
/// not its children, so it cannot adopt them, and left alone they would run
/// unsupervised beside the new workers. The environment, read through a
/// pidfd opened first, names the process itself, so a process that got an
/// old worker's pid is never signalled. Each gets the stop signal of its
/// task (`WPM_TASK_NAME` in the same environment) as the config now says,
/// after SIGCONT, which ends a pause (SIGSTOP) so the signal is handled.
public enum LeftoverWorkers {
    public static let variable = "WPM_MANAGER"

    struct Leftover {
        let pid: pid_t
        let pidfd: Int32
        let leadsItsGroup: Bool
        /// Its `WPM_TASK_NAME`, when it has one.
        let task: String?
    }

    /// Stops the leftovers of `id`: SIGCONT, then the stop signal of its
    /// task in `stopSignals` (SIGTERM for a task not there, or a process
    /// without one), to the process group of each one that leads its
    /// own; SIGKILL to those still alive after `grace`. Waits until they are
    /// gone (at most `grace` plus 2 s). Returns their pids.
    @discardableResult
    public static func stop(
        id: String, stopSignals: [String: Int32] = [:], grace: Duration, logger: Logger
    ) -> [pid_t] {
        let found = find(id: id)
        guard !found.isEmpty else { return [] }
        defer { found.forEach { close($0.pidfd) } }
        logger.warning(
            "stopping \(found.count) process(es) left running by an earlier wpmanager of this config",
            metadata: ["pids": "\(found.map(\.pid))"])
        // A paused worker (SIGSTOP) goes on first, to handle its stop signal.
        signal(found, SIGCONT)
        for process in found {
            signal([process], process.task.flatMap { stopSignals[$0] } ?? SIGTERM)
        }
        var alive = wait(for: found, until: .now + grace)
        if !alive.isEmpty {
            signal(alive, SIGKILL)
            alive = wait(for: alive, until: .now + .seconds(2))
        }
        if !alive.isEmpty {
            logger.error("processes of an earlier wpmanager did not end", metadata: ["pids": "\(alive.map(\.pid))"])
        }
        return found.map(\.pid)
    }

    /// The live processes (not this one) whose environment has `WPM_MANAGER=id`.
    static func find(id: String) -> [Leftover] {
        let marker = Array("\(variable)=\(id)".utf8)
        let taskPrefix = Array("\(KeepAliveEnvironment.taskName)=".utf8)
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found: [Leftover] = []
        for pid in entries.compactMap({ pid_t($0) }) where pid != me {
            let pidfd = wpm_pidfd_open(pid)
            guard pidfd >= 0 else { continue }
            // Read after the pidfd is open, checked alive after the read: the
            // environment is that of the process the pidfd names.
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                case let variables = environ.split(separator: 0),
                variables.contains(where: { $0.elementsEqual(marker) }),
                wpm_pidfd_send_signal(pidfd, 0) == 0
            else {
                close(pidfd)
                continue
            }
            let task = variables.first { $0.starts(with: taskPrefix) }.map {
                String(decoding: $0.dropFirst(taskPrefix.count), as: UTF8.self)
            }
            found.append(Leftover(pid: pid, pidfd: pidfd, leadsItsGroup: getpgid(pid) == pid, task: task))
        }
        return found
    }

    private static func signal(_ processes: [Leftover], _ signo: Int32) {
        for process in processes {
            // Alive (checked through its pidfd), a leader's group number is its own.
            if process.leadsItsGroup, wpm_pidfd_send_signal(process.pidfd, 0) == 0 { _ = kill(-process.pid, signo) }
            _ = wpm_pidfd_send_signal(process.pidfd, signo)
        }
    }

    /// Those of `processes` still alive at `deadline` (a pidfd polls readable once its process has exited).
    private static func wait(for processes: [Leftover], until deadline: ContinuousClock.Instant) -> [Leftover] {
        var alive = processes
        while !alive.isEmpty, ContinuousClock.now < deadline {
            var fds = alive.map { pollfd(fd: $0.pidfd, events: Int16(POLLIN), revents: 0) }
            let left = ContinuousClock.now.duration(to: deadline).components
            let ms = Int32(max(1, min(Int64(Int32.max), left.seconds * 1000 + left.attoseconds / 1_000_000_000_000_000)))
            _ = poll(&fds, nfds_t(fds.count), ms)
            alive = zip(alive, fds).filter { $0.1.revents == 0 }.map(\.0)
        }
        return alive
    }
}
