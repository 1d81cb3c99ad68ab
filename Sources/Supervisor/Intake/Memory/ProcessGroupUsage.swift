import Glibc

/// CPU time and resident memory of process groups, read from /proc: every
/// worker leads a group of its own, so its group is the worker and whatever
/// it started (and did not move to another group).
public struct ProcessGroupUsage: Sendable, Equatable {
    /// User and system CPU time of the group's live processes, in seconds.
    public var cpuSeconds: Double
    /// Resident memory of the group's live processes, in bytes.
    public var rssBytes: Int

    public init(cpuSeconds: Double = 0, rssBytes: Int = 0) {
        self.cpuSeconds = cpuSeconds
        self.rssBytes = rssBytes
    }

    /// The usage of each group in `groups` that has a live process, in one
    /// pass over /proc (`/proc/PID/stat` of every process: about one
    /// millisecond per hundred processes). Not on the supervisor's thread.
    public static func read(groups: Set<pid_t>) -> [pid_t: ProcessGroupUsage] {
        guard !groups.isEmpty, let dir = opendir("/proc") else { return [:] }
        defer { closedir(dir) }
        let ticks = Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        let page = max(sysconf(Int32(_SC_PAGESIZE)), 1)
        var usage: [pid_t: ProcessGroupUsage] = [:]
        var buffer = [UInt8](repeating: 0, count: 1024)
        while let entry = readdir(dir) {
            let name = ProcFS.name(of: entry)
            guard let first = name.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { continue }
            guard let stat = readStat("/proc/\(name)/stat", into: &buffer) else { continue }
            guard groups.contains(stat.group) else { continue }
            var total = usage[stat.group] ?? ProcessGroupUsage()
            total.cpuSeconds += Double(stat.ticks) / ticks
            total.rssBytes += stat.pages * page
            usage[stat.group] = total
        }
        return usage
    }

    struct Stat: Equatable {
        var group: pid_t
        var ticks: Int
        var pages: Int
    }

    /// Fields of a `/proc/PID/stat` line: after the command (in parentheses,
    /// which may itself hold spaces and parentheses) come state (3), ppid,
    /// pgrp (5) ... utime (14), stime (15) ... rss (24).
    static func parseStat(_ bytes: ArraySlice<UInt8>) -> Stat? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[bytes.index(after: close)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state).
        guard fields.count > 21 else { return nil }
        func number(_ field: Int) -> Int? { Int(String(decoding: fields[field - 3], as: UTF8.self)) }
        guard let group = number(5), let user = number(14), let system = number(15), let pages = number(24) else {
            return nil
        }
        return Stat(group: pid_t(group), ticks: user + system, pages: max(pages, 0))
    }

    private static func readStat(_ path: String, into buffer: inout [UInt8]) -> Stat? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return parseStat(buffer[0..<count])
    }
}

extension WorkerStatus {
    /// `workers` with `cpuSeconds` and `rssBytes` of their process groups.
    public static func withUsage(_ workers: [WorkerStatus]) -> [WorkerStatus] {
        let usage = ProcessGroupUsage.read(groups: Set(workers.map(\.pid)))
        return workers.map { worker in
            var worker = worker
            if let group = usage[worker.pid] {
                worker.cpuSeconds = group.cpuSeconds
                worker.rssBytes = group.rssBytes
            }
            return worker
        }
    }
}
