import Foundation
import Glibc

/// The bare baseline (Benchmarks/c/baseline.c): posix_spawns the same C
/// workers as the manager's pool with the same hygiene, reaps and replaces
/// them, and stops them all on SIGTERM; it reports its own timings.
final class Baseline: @unchecked Sendable {
    let process: TrackedProcess
    let scratch: Scratch
    let workers: WorkerTracker
    private let outPath: String

    init(workload: String, count: Int) throws {
        scratch = try Scratch(workload + "-baseline")
        let worker = scratch.path + "/tasks/bench-worker"
        try FileManager.default.copyItem(atPath: try CPrograms.path("stall-worker"), toPath: worker)
        let eventPath = scratch.path + "/events"
        outPath = scratch.path + "/out"
        workers = WorkerTracker(path: eventPath)
        process = try TrackedProcess(
            try CPrograms.path("baseline"), [String(count), worker], environment: ["STALL_BENCH_EVENTS": eventPath],
            output: outPath)
    }

    var pid: Int32 { process.pid }

    /// The two numbers of the output line starting with `word`.
    private func line(_ word: String, timeout: Double = 120) throws -> (Int64, Int64) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 3, parts[0] == word, let a = Int64(parts[1]), let b = Int64(parts[2]) { return (a, b) }
            }
            guard process.isRunning else { break }
            usleep(2_000)
        }
        throw BenchError("the baseline never printed \"\(word)\"")
    }

    /// CLOCK_MONOTONIC ns before its first and after its last posix_spawn.
    func spawned() throws -> (first: Int64, last: Int64) { try line("spawned") }

    /// Asks it to stop every worker; returns when the request was sent and
    /// when it had reaped the last one.
    func stopAll() throws -> (sent: Int64, reaped: Int64) {
        let sent = monotonicNanos()
        kill(pid, SIGTERM)
        let (_, reaped) = try line("stopped")
        return (sent, reaped)
    }

    /// Ends it (and so its workers) if still running; removes its files.
    func stop() {
        process.stop()
        scratch.remove()
    }
}

/// What /proc tells about a process.
enum ProcessStats {
    struct Memory {
        var rssKiB = 0
        var anonymousKiB = 0
        var privateDirtyKiB = 0

        var json: [String: Int] { ["rss_kib": rssKiB, "anonymous_kib": anonymousKiB, "private_dirty_kib": privateDirtyKiB] }
    }

    static func memory(of pid: Int32) -> Memory {
        var memory = Memory()
        func kib(_ text: String?, _ key: String) -> Int? {
            guard let line = text?.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        let status: String? = String(decoding: readProcFile("/proc/\(pid)/status"), as: UTF8.self)
        let rollup: String? = String(decoding: readProcFile("/proc/\(pid)/smaps_rollup"), as: UTF8.self)
        memory.rssKiB = kib(status, "VmRSS") ?? 0
        memory.anonymousKiB = kib(rollup, "Anonymous") ?? 0
        memory.privateDirtyKiB = kib(rollup, "Private_Dirty") ?? 0
        return memory
    }

    /// utime + stime in clock ticks.
    static func cpuTicks(of pid: Int32) -> Int {
        let stat = String(decoding: readProcFile("/proc/\(pid)/stat"), as: UTF8.self)
        guard let close = stat.lastIndex(of: ")")
        else { return 0 }
        // After "pid (comm) ": state is field 3; utime and stime are 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12 else { return 0 }
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Children (zombies included) of any thread of `pid`.
    static func childCount(of pid: Int32) -> Int {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return 0 }
        var count = 0
        for thread in threads {
            count += readProcFile("/proc/\(pid)/task/\(thread)/children").split(separator: 32).count
        }
        return count
    }
}

/// The whole of a /proc file (they report size 0 and may need several reads).
func readProcFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { return result }
        result += chunk[..<n]
    }
}
