import Foundation
import Glibc

/// Every long-lived process the benchmark started (managers, baselines,
/// publishers, wrk) and every scratch directory, so that an error or a
/// Ctrl-C leaves nothing behind: on SIGINT, SIGTERM or SIGHUP each process
/// gets SIGTERM (a manager then stops its workers), is waited for, and
/// SIGKILLed if it is still there after a while.
enum Cleanup {
    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var processes: [Int32: @Sendable () -> Bool] = [:]
        var directories: Set<String> = []
        var stopping = false
    }

    private static let registry = Registry()

    /// Registers a process; `isRunning` tells whether it has not ended yet.
    static func track(_ pid: Int32, isRunning: @escaping @Sendable () -> Bool) {
        let stopping = registry.lock.withLock {
            registry.processes[pid] = isRunning
            return registry.stopping
        }
        // Started while everything is being stopped: stop it too.
        if stopping { kill(pid, SIGTERM) }
    }

    /// True once a signal asked the run to stop: start nothing new.
    static var isStopping: Bool { registry.lock.withLock { registry.stopping } }

    static func untrack(_ pid: Int32) {
        _ = registry.lock.withLock { registry.processes.removeValue(forKey: pid) }
    }

    static func track(directory: String) {
        _ = registry.lock.withLock { registry.directories.insert(directory) }
    }

    static func removeDirectory(_ directory: String) {
        try? FileManager.default.removeItem(atPath: directory)
        _ = registry.lock.withLock { registry.directories.remove(directory) }
    }

    /// SIGTERM to every tracked process, up to `patience` seconds for them
    /// to end, then SIGKILL; removes the scratch directories.
    static func terminateAll(patience: Double = 20, stopping: Bool = false) {
        // Processes registered meanwhile (by a thread still running a
        // workload) are picked up on the next round.
        var signalled: Set<Int32> = []
        var processes: [Int32: @Sendable () -> Bool] = [:]
        let deadline = Date().addingTimeInterval(patience)
        while true {
            processes = registry.lock.withLock {
                if stopping { registry.stopping = true }
                return registry.processes
            }
            for pid in processes.keys where !signalled.contains(pid) {
                kill(pid, SIGTERM)
                signalled.insert(pid)
            }
            guard Date() < deadline, processes.values.contains(where: { $0() }) else { break }
            usleep(50_000)
        }
        for (pid, running) in processes where running() {
            FileHandle.standardError.write(Data("wpm-bench: pid \(pid) did not stop; SIGKILL\n".utf8))
            kill(pid, SIGKILL)
        }
        let directories = registry.lock.withLock { registry.directories }
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Installs the handlers (once, at start).
    static func installSignalHandlers() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        signalPipeWriteEnd = fds[1]
        let readEnd = fds[0]
        let thread = Thread {
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) < 0, errno == EINTR {}
            FileHandle.standardError.write(Data("\nwpm-bench: signal \(byte): stopping everything it started\n".utf8))
            terminateAll(stopping: true)
            exit(130)
        }
        thread.name = "wpm-bench-cleanup"
        thread.start()
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            signal(signo) { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
        }
    }

    /// Processes still running whose command line mentions `marker` (our
    /// scratch directories): what a run must not leave behind.
    static func leftovers(marker: String) -> [String] {
        let me = getpid()
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> String? in
            guard let pid = Int32(entry), pid != me,
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(marker) ? "\(pid) \(line)" : nil
        }
    }
}

nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1
