import CoreMetrics
import FoundationEssentials
import Glibc
import Synchronization

/// The manager's own resource use, read from /proc at scrape time:
/// resident memory, CPU seconds (user + system) and open file descriptors,
/// under the names Prometheus client libraries use for them.
final class ProcessMetrics: Sendable {
    private let residentMemory: Gauge
    private let openFDs: Gauge
    private let cpuSeconds: FloatingPointCounter
    /// CPU seconds already added to the counter.
    private let cpuCounted = Mutex<Double>(0)

    init(factory: any MetricsFactory) {
        residentMemory = Gauge(label: "process_resident_memory_bytes", factory: factory)
        openFDs = Gauge(label: "process_open_fds", factory: factory)
        cpuSeconds = FloatingPointCounter(label: "process_cpu_seconds_total", factory: factory)
    }

    /// Reads /proc/self and sets the metrics.
    func update() {
        if let rss = Self.residentBytes() { residentMemory.record(rss) }
        if let fds = Self.openFileDescriptors() { openFDs.record(fds) }
        if let cpu = Self.cpuSeconds() {
            let delta = cpuCounted.withLock { counted -> Double in
                let delta = max(0, cpu - counted)
                counted = max(counted, cpu)
                return delta
            }
            if delta > 0 { cpuSeconds.increment(by: delta) }
        }
    }

    /// Resident pages (second field of /proc/self/statm) times the page size.
    static func residentBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of /proc/self/fd, less the one reading it.
    static func openFileDescriptors() -> Int? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return max(0, entries.count - 1)
    }

    /// utime + stime (fields 14 and 15 of /proc/self/stat) in seconds.
    static func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm) ": state is field 3, so utime (14) is at index 11.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
