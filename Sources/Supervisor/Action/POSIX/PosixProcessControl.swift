import CShims
import Glibc
import KeepAlive
import SystemHelpers

/// The real `ProcessControl`: spawns on the spawner thread (`SpawnQueue`),
/// `kill` for signals, `waitpid` for reaping, /proc and pidfds for the
/// descendants that left their worker's process group.
public final class PosixProcessControl: ProcessControl {
    let spawns: SpawnQueue

    public init(spawner: Spawner) {
        self.spawns = SpawnQueue(spawner: spawner)
    }

    public var spawnResults: AsyncStream<SpawnQueue.Result> { spawns.results }
    public func spawn(_ spec: TaskSpec, count: Int) { spawns.enqueue(spec, count: count) }
    public func cancelSpawns(task: String, upTo count: Int) -> Int { spawns.cancel(task: task, upTo: count) }
    public func holdingSpawns<R>(_ body: () -> R) -> R { spawns.holdingSpawns(body) }
    public func failureTaken(task: String) { spawns.failureTaken(task: task) }
    public func reported(_ pid: pid_t) { spawns.reported(pid) }
    public func withoutSpawning<R>(pgid: pid_t, _ body: (_ unreported: Bool) -> R) -> R {
        spawns.withoutSpawning(pgid: pgid, body)
    }
    public func closeSpawning() { spawns.close() }

    public func signalGroupOrLeader(_ pgid: pid_t, _ signal: Int32) {
        if kill(-pgid, signal) != 0, errno == ESRCH {
            _ = kill(pgid, signal)
        }
    }

    public func signalGroup(_ pgid: pid_t, _ signal: Int32) { _ = kill(-pgid, signal) }
    public func groupExists(_ pgid: pid_t) -> Bool { kill(-pgid, 0) == 0 }

    public func becomeSubreaper() -> Int32 { getpid() == 1 ? 0 : wpm_become_subreaper() }

    public func firstExitedChild() -> pid_t? {
        let pid = wpm_peek_exited_child()
        return pid > 0 ? pid : nil
    }

    /// waitid(P_PID, WNOWAIT): true unless that child is known not to have exited.
    public func mayHaveExited(_ pid: pid_t) -> Bool { wpm_child_has_exited(pid) != 0 }

    public func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return retryingOnInterrupt { waitpid(pid, &status, WNOHANG) } == pid ? status : nil
    }

    public func descendantsOutsideGroup(of pid: pid_t) -> [pid_t] {
        ProcFS.descendants(of: pid).filter { ProcFS.processGroup(of: $0) != pid }
    }

    public func children() -> [pid_t] { ProcFS.children(of: getpid()) }
    public func taskName(of pid: pid_t) -> String? { ProcFS.environment(KeepAliveEnvironment.taskName, of: pid) }

    public func openHandle(_ pid: pid_t) -> Int32? {
        let fd = wpm_pidfd_open(pid)
        return fd >= 0 ? fd : nil
    }

    public func signal(handle: Int32, _ signal: Int32) -> Bool { wpm_pidfd_send_signal(handle, signal) == 0 }
    public func closeHandle(_ handle: Int32) { close(handle) }
}
