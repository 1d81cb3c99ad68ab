import ArgumentParser
import Foundation

/// Every workload, one after the other, in one table and one JSON file; a
/// failing workload is reported and the others still run. Fails when a
/// process the run started is still there at the end.
struct AllBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every workload; one table, one JSON file.")

    @Option(help: "Write the results as JSON here.") var json = "bench.json"
    @Option(help: "Seconds the idle workload measures.") var idleSeconds = 30.0
    @Option(help: "Only these workloads, separated by commas (default: all).") var only: String?

    static let names = ["spawn", "respawn", "stall", "stall-busy", "ingest", "idle", "memory", "control", "stopall", "console", "tenk"]

    func validate() throws {
        for name in selected where !Self.names.contains(name) {
            throw ValidationError("unknown workload \"\(name)\"; known: \(Self.names.joined(separator: ", "))")
        }
    }

    private var selected: [String] {
        only.map { $0.split(separator: ",").map(String.init) } ?? Self.names
    }

    func run() throws {
        var results: [WorkloadResult] = []
        for name in selected where !Cleanup.isStopping {
            progress("== \(name)")
            let started = Date()
            do {
                results.append(try measure(name))
            } catch {
                results.append(WorkloadResult(workload: name, error: "\(error)"))
            }
            progress(String(format: "== %@ took %.1f s", name, Date().timeIntervalSince(started)))
        }
        Cleanup.terminateAll()
        print("")
        Report.printResults(results)
        try Report.write(results, to: json)
        print("\nwrote \(json)")
        let left = Cleanup.leftovers(marker: Scratch.runMarker)
        if !left.isEmpty {
            print("processes left behind:\n" + left.joined(separator: "\n"))
            throw ExitCode(1)
        }
    }

    private func measure(_ name: String) throws -> WorkloadResult {
        switch name {
        case "spawn": try SpawnBench.parse([]).measure()
        case "respawn": try RespawnBench.parse([]).measure()
        case "stall": try stall()
        case "stall-busy": try stall(hogs: 2)
        case "ingest": try IngestBench.parse([]).measure()
        case "idle": try IdleBench.parse(["--seconds", String(idleSeconds)]).measure()
        case "memory": try MemoryBench.parse([]).measure()
        case "control": try ControlBench.parse([]).measure()
        case "stopall": try StopAllBench.parse([]).measure()
        case "console": try ConsoleBench.parse([]).measure()
        case "tenk": try TenKBench.parse([]).measure()
        default: throw BenchError("unknown workload \(name)")
        }
    }

    /// The stall workload (StallBench) with its JSON read back; with `hogs`,
    /// while that many CPU hogs keep the cores busy (target p99 ≤ 20 ms).
    private func stall(hogs: Int = 0) throws -> WorkloadResult {
        let file = NSTemporaryDirectory() + "wpm-bench-\(getpid())-stall.json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let command = try StallBench.parse(["--json", file, "--hogs", String(hogs)])
        try command.run()
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchError("unreadable \(file)")
        }
        let number = { (key: String) in (object[key] as? NSNumber)?.doubleValue ?? .nan }
        let p99 = number("p99_ms"), falseStalls = number("false_stalls"), missed = number("missed")
        let name = hogs > 0 ? "stall-busy" : "stall", limit: Double = hogs > 0 ? 20 : 10
        return WorkloadResult(
            workload: name,
            figures: [
                Figure(workload: name, name: "SIGTERM after stall deadline, p50", value: number("p50_ms"), unit: "ms"),
                Figure(
                    workload: name, name: "SIGTERM after stall deadline, p99", value: p99, unit: "ms",
                    target: "≤ \(Int(limit)) ms", met: p99 <= limit && falseStalls == 0 && missed == 0),
                Figure(workload: name, name: "false stalls / missed", value: falseStalls + missed, unit: ""),
            ],
            details: object)
    }
}
