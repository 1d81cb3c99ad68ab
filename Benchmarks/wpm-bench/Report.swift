import Foundation

/// One measured figure: wpm's value, the bare baseline's where there is one,
/// and the target.
struct Figure {
    var workload: String
    var name: String
    var value: Double
    var unit: String
    var baseline: Double? = nil
    var target: String? = nil
    /// Whether the target is met (nil: no target, or not measurable).
    var met: Bool? = nil
    /// False where dividing by the baseline says nothing (it is about zero).
    var hasRatio = true

    var ratio: Double? {
        guard hasRatio, let baseline, baseline > 0, value.isFinite else { return nil }
        return value / baseline
    }

    var json: [String: Any] {
        var object: [String: Any] = ["workload": workload, "figure": name, "unit": unit]
        object["value"] = value.isFinite ? value : NSNull()
        if let baseline { object["baseline"] = baseline }
        if let ratio { object["ratio"] = ratio }
        if let target { object["target"] = target }
        if let met { object["met"] = met }
        return object
    }
}

/// What one workload produced: its figures and whatever else is worth keeping.
struct WorkloadResult {
    var workload: String
    var figures: [Figure] = []
    var details: [String: Any] = [:]
    var error: String? = nil
}

/// Prints results as one table and writes them as one JSON file.
enum Report {
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        return abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    static func printResults(_ results: [WorkloadResult]) {
        var rows = [["workload", "figure", "wpm", "baseline", "ratio", "target", "met"]]
        for result in results {
            if let error = result.error {
                rows.append([result.workload, "FAILED: \(error)", "", "", "", "", ""])
            }
            for f in result.figures {
                rows.append([
                    f.workload, f.name, "\(format(f.value)) \(f.unit)",
                    f.baseline.map { "\(format($0)) \(f.unit)" } ?? "",
                    f.ratio.map { String(format: "%.2f×", $0) } ?? "",
                    f.target ?? "", f.met.map { $0 ? "yes" : "NO" } ?? "",
                ])
            }
        }
        printTable(rows)
    }

    static func write(_ results: [WorkloadResult], to path: String) throws {
        var details: [String: Any] = [:]
        for result in results {
            var entry = result.details
            if let error = result.error { entry["error"] = error }
            details[result.workload] = entry
        }
        let object: [String: Any] = [
            "date": ISO8601DateFormatter().string(from: Date()),
            "machine": machine(),
            "figures": results.flatMap { $0.figures.map(\.json) },
            "details": details,
        ]
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
    }

    /// Where the figures were measured.
    static func machine() -> [String: Any] {
        var info: [String: Any] = ["cores": ProcessInfo.processInfo.activeProcessorCount]
        if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
        {
            info["cpu"] = line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        var uts = utsname()
        uname(&uts)
        info["kernel"] = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        info["memory_mib"] = ProcessInfo.processInfo.physicalMemory / 1_048_576
        if let load = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
            info["loadavg_at_end"] = load.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return info
    }
}
