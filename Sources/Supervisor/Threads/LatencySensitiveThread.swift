import CShims
import FoundationEssentials
import Glibc

/// Threads on the path from a keep-alive (or its absence) to a signal: the
/// keep-alive proxy and listener, libzmq's I/O thread and the supervisor's
/// own thread. Each gets a short time slice from the kernel, so that on a
/// machine kept busy by the workers it runs soon after it is woken (see
/// `wpm_request_short_slice`). The request needs no privilege; where the
/// kernel does not honour it nothing changes. Workers are spawned from
/// another thread and keep the default slice.
enum LatencySensitiveThread {
    static let slice: UInt64 = 200_000  // 0.2 ms, twice the kernel's minimum

    /// Applies to the calling thread.
    static func enter() {
        _ = wpm_request_short_slice(0, slice)
    }

    /// Applies to the threads of this process whose name starts with
    /// `prefix` (threads started by a C library, such as libzmq's).
    static func apply(toThreadsNamed prefix: String) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for tid in tasks.compactMap({ pid_t($0) }) {
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8),
                name.hasPrefix(prefix)
            else { continue }
            _ = wpm_request_short_slice(tid, slice)
        }
    }
}
