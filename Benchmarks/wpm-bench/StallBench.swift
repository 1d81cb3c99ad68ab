import ArgumentParser
import Foundation
import KeepAlive
import ZeroMQ

/// 1000 workers beat every second; some fall silent. How late after its
/// stall deadline does each silent worker get its SIGTERM?
struct StallBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stall", abstract: "Lateness of SIGTERM after the stall deadline (issue 3: p99 ≤ 10 ms).")

    @Option(help: "Workers in the pool.") var workers = 1000
    @Option(help: "Workers that fall silent per round.") var silent = 50
    @Option(help: "Rounds (each silences a new set).") var rounds = 3
    @Option(help: "stall_timeout in ms.") var stallTimeout = 3000
    @Option(help: "Write the results as JSON here.") var json = "bench-stall.json"
    @Flag(help: "Print the manager's stall log lines.") var verbose = false
    @Option(help: "CPU hogs (busy shell loops at ordinary priority) kept running during the run (2: both cores busy).")
    var hogs = 0

    func run() throws {
        let dir = NSTemporaryDirectory() + "wpm-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/tasks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try compileC("stall-worker", into: dir + "/tasks")
        let out = dir + "/events"
        let config = dir + "/config.json"
        try """
        {"port": 0, "max_cardinality": \(max(workers, 10000)),
         "keepalives": {"inbound_port": 0, "internal_port": 0, "stall_timeout": \(stallTimeout), "grace_period": 1000},
         "path": "\(dir)/tasks", "filesuffix": "-worker", "autotasks": {"stall": {"cardinality": \(workers)}}}
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let manager = try BenchManager(config: config, environment: ["STALL_BENCH_EVENTS": out])
        defer { manager.stop() }
        // The hogs carry the run's directory in their command line (leftover check).
        let hogProcesses = try (0..<hogs).map { _ in
            try TrackedProcess("/bin/sh", ["-c", "while :; do :; done", dir + "/cpu-hog"])
        }
        defer { hogProcesses.forEach { $0.stop() } }
        let endpoint = String(try manager.wait(for: "keep-alives inbound on ").prefix { $0 != "," })
        let events = EventFile(path: out)

        // Connect as a publisher and wait for the manager's subscription.
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .xpub)
        try socket.set(ZMQOption.sendHighWaterMark, Int32(1_000_000))
        try socket.connect(endpoint)
        guard try socket.poll(timeout: 20_000), try socket.receive(wait: false) != nil else {
            throw BenchError("no subscription from \(endpoint)")
        }

        // Per live worker: when it was last beaten; silenced ones: their stall
        // deadline. Pids are reused (pid_max may be small), so events are
        // applied in order, one incarnation at a time.
        var alive: Set<Int32> = []
        var lastBeat: [Int32: Int64] = [:]
        var startedAt: [Int32: Int64] = [:]
        var beats: [Int32: Int] = [:]
        var silenced: [Int32: Int64] = [:]
        var lateness: [Double] = []
        var falseStalls = 0
        var silencedCount = 0
        let stall = Int64(stallTimeout) * 1_000_000
        func refresh() {
            for event in events.read() {
                if event.start {
                    alive.insert(event.pid)
                    lastBeat[event.pid] = nil
                    startedAt[event.pid] = event.ns
                    beats[event.pid] = 0
                    continue
                }
                alive.remove(event.pid)
                if let deadline = silenced.removeValue(forKey: event.pid) {
                    lateness.append(Double(event.ns - deadline) / 1e6)
                } else if let beat = lastBeat[event.pid], event.ns < beat + stall {
                    // A worker we kept beating got SIGTERM.
                    falseStalls += 1
                    if verbose { print("false stall: pid \(event.pid) SIGTERM \((event.ns - beat) / 1_000_000) ms after its last beat, \((event.ns - startedAt[event.pid]!) / 1_000_000) ms after its start, \(beats[event.pid]!) beats") }
                }
                lastBeat[event.pid] = nil
            }
        }
        /// Beats for the live, not silenced workers of one tenth of the pids
        /// (`slice` 0...9), or all of them: workers beat at their own pace,
        /// not all in the same millisecond.
        func beatAll(slice: Int32? = nil) throws {
            for pid in alive where silenced[pid] == nil {
                if let slice, pid % 10 != slice { continue }
                try socket.send(KeepAliveMessage(taskName: "stall", pid: pid).frames())
                lastBeat[pid] = monotonicNanos()
                beats[pid, default: 0] += 1
            }
        }
        // Wait for the pool, beating as it comes up.
        let upBy = Date().addingTimeInterval(120)
        while alive.count < workers {
            refresh()
            try beatAll()
            guard Date() < upBy else { throw BenchError("only \(alive.count) workers started") }
            usleep(100_000)
        }
        for _ in 0..<2 {  // warm-up: two rounds of beats
            try beatAll()
            sleep(1)
            refresh()
        }
        for _ in 0..<rounds {
            let candidates = alive.filter { silenced[$0] == nil && lastBeat[$0] != nil }
            for pid in candidates.shuffled().prefix(silent) { silenced[pid] = lastBeat[pid]! + stall }
            silencedCount += min(silent, candidates.count)
            let roundEnd = Date().addingTimeInterval(Double(stallTimeout) / 1000 + 15)
            while Date() < roundEnd, !silenced.isEmpty {
                // Each worker beats once a second, a tenth of them every 100 ms.
                for slice in Int32(0)..<10 {
                    try beatAll(slice: slice)
                    usleep(100_000)
                    refresh()
                }
            }
        }
        refresh()
        if verbose {
            for line in manager.stderr.split(separator: "\n") where line.contains("stalled") { print(line) }
        }
        let missed = silencedCount - lateness.count
        lateness.sort()
        let p50 = percentile(lateness, 50), p99 = percentile(lateness, 99), worst = lateness.last ?? .nan
        // The manager's own view: its "no keep-alive for N ms" counts from
        // the keep-alive as it received it to the moment it sends SIGTERM.
        let inside = manager.stderr.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "no keep-alive for ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0.isNumber }).map { $0 - Double(stallTimeout) }
        }.sorted()
        let inside50 = percentile(inside, 50), inside99 = percentile(inside, 99)
        printTable([
            ["workload", "samples", "p50 ms", "p99 ms", "max ms", "missed", "false stalls", "target"],
            [
                "stall (\(workers) workers, \(silent)×\(rounds) silent\(hogs > 0 ? ", \(hogs) CPU hogs" : ""))",
                "\(lateness.count)", String(format: "%.2f", p50), String(format: "%.2f", p99), String(format: "%.2f", worst),
                "\(missed)", "\(falseStalls)", hogs > 0 ? "p99 ≤ 20 ms" : "p99 ≤ 10 ms",
            ],
            [
                "  inside the manager (whole ms)", "\(inside.count)", String(format: "%.0f", inside50),
                String(format: "%.0f", inside99), String(format: "%.0f", inside.last ?? .nan), "", "", "",
            ],
        ])
        let result: [String: Any] = [
            "workload": "stall", "workers": workers, "silent_per_round": silent, "rounds": rounds,
            "stall_timeout_ms": stallTimeout, "samples": lateness.count, "p50_ms": p50, "p99_ms": p99, "max_ms": worst,
            "missed": missed, "false_stalls": falseStalls, "cpu_hogs": hogs,
            "manager_p50_ms": inside50, "manager_p99_ms": inside99,
        ]
        try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: json))
        socket.close()
    }
}

/// The `start PID NS` / `term PID NS` lines the workers append.
final class EventFile {
    struct Event {
        var start: Bool
        var pid: Int32
        var ns: Int64
    }

    let path: String
    private var offset: UInt64 = 0
    private var partial = ""

    init(path: String) { self.path = path }

    /// The events appended since the last call, in order.
    func read() -> [Event] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = handle.readDataToEndOfFile()
        offset += UInt64(data.count)
        let text = partial + String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        partial = String(lines.removeLast())
        return lines.compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let pid = Int32(parts[1]), let ns = Int64(parts[2]) else { return nil }
            return Event(start: parts[0] == "start", pid: pid, ns: ns)
        }
    }
}
