import Glibc
import SystemHelpers

/// What the manager reads of other processes in /proc: children (every
/// thread's `children` list), process group, one environment variable.
/// Plain reads, no Foundation, so a scan costs a few system calls per process.
enum ProcFS {
    /// The whole file (small /proc files), nil when it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = retryingOnInterrupt { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            guard n > 0 else { return n == 0 ? data : nil }
            data.append(contentsOf: chunk[0..<n])
        }
    }

    /// The name of a directory entry `readdir` returned, read up to its NUL
    /// in place. Not `entry.pointee.d_name`: that copies all 256 bytes the
    /// type declares, while the kernel's record ends after the name (its
    /// `d_reclen`), so the copy read past the end of `readdir`'s buffer, and
    /// the manager died of a SIGSEGV when that buffer ended a heap mapping.
    static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        let offset = MemoryLayout<dirent>.offset(of: \.d_name)!
        return String(cString: (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self))
    }

    /// The threads of `pid`.
    static func threads(of pid: pid_t) -> [pid_t] {
        guard let dir = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(dir) }
        var threads: [pid_t] = []
        while let entry = readdir(dir) {
            if let tid = pid_t(name(of: entry)) { threads.append(tid) }
        }
        return threads
    }

    /// The children of every thread of `pid`.
    static func children(of pid: pid_t) -> [pid_t] {
        var children: [pid_t] = []
        for tid in threads(of: pid) {
            guard let text = read("/proc/\(pid)/task/\(tid)/children") else { continue }
            children += text.split(separator: UInt8(ascii: " ")).compactMap { pid_t(String(decoding: $0, as: UTF8.self)) }
        }
        return children
    }

    /// Every descendant of `pid` (children first), not `pid` itself.
    static func descendants(of pid: pid_t) -> [pid_t] {
        var found: [pid_t] = []
        var next = children(of: pid)
        while let child = next.popLast() {
            guard !found.contains(child), found.count < 10_000 else { continue }
            found.append(child)
            next += children(of: child)
        }
        return found
    }

    /// The process group of `pid`, nil when it is gone.
    static func processGroup(of pid: pid_t) -> pid_t? {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After "pid (comm) ": state, ppid, pgrp, ...
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 2 else { return nil }
        return pid_t(String(decoding: fields[2], as: UTF8.self))
    }

    /// The value of `name` in the environment `pid` started with.
    static func environment(_ name: String, of pid: pid_t) -> String? {
        guard let environ = read("/proc/\(pid)/environ") else { return nil }
        let prefix = Array((name + "=").utf8)
        for entry in environ.split(separator: 0) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }
}
