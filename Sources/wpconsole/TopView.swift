import Foundation

/// What `top` shows (pure: the unit tests render it): per manager, per
/// running task, per worker, sorted within each task.
struct TopView {
    enum SortKey: String, Sendable {
        case cpu = "CPU", memory, pid
    }

    struct Worker: Equatable {
        var pid: Int
        var startedAt: Date?
        var lastAliveAt: Date?
        var state: String
        var status: String?
        var job: String?
        var cpuSeconds: Double?
        var rssBytes: Int?
        /// From the previous sample of the same worker.
        var cpuPercent: Double?
    }

    struct TaskRow: Equatable {
        var name: String
        var active: Int
        var cardinality: Int
        var workers: [Worker]
    }

    struct Manager: Equatable {
        var host: String
        /// Nil when it answered; the reason otherwise.
        var problem: String?
        var tasks: [TaskRow]
    }

    var managers: [Manager]
    var sort: SortKey
    var now: Date

    /// The screen's lines, at most `height`, each at most `width` characters:
    /// a heading per manager, a line per task, a line per worker.
    func lines(width: Int, height: Int) -> [String] {
        var lines = [
            "wpconsole top  \(clock(now))  sorted by \(sort.rawValue)  (c CPU, m memory, p pid, q quit)",
            columns(["PID", "AGE", "CPU%", "MEMORY", "ALIVE", "STATUS", "JOB"]),
        ]
        for manager in managers {
            lines.append("\(manager.host)" + (manager.problem.map { ": " + $0 } ?? ""))
            if manager.problem == nil && manager.tasks.isEmpty { lines.append("  no active tasks") }
            for task in manager.tasks {
                let cpu = task.workers.compactMap(\.cpuPercent).reduce(0, +)
                let memory = task.workers.compactMap(\.rssBytes).reduce(0, +)
                lines.append(
                    "  \(task.name): \(task.active)/\(task.cardinality) workers, CPU \(percent(cpu)), memory \(bytes(memory))")
                for worker in sorted(task.workers) {
                    lines.append(
                        columns([
                            String(worker.pid), age(worker.startedAt), worker.cpuPercent.map(percent) ?? "-",
                            worker.rssBytes.map(bytes) ?? "-", age(worker.lastAliveAt),
                            worker.state == "running" ? (worker.status ?? "-") : worker.state,
                            oneLine(worker.job ?? ""),
                        ]))
                }
            }
        }
        return lines.prefix(max(height, 1)).map { String($0.prefix(max(width, 1))) }
    }

    func sorted(_ workers: [Worker]) -> [Worker] {
        switch sort {
        case .cpu: workers.sorted { ($0.cpuPercent ?? -1, -$0.pid) > ($1.cpuPercent ?? -1, -$1.pid) }
        case .memory: workers.sorted { ($0.rssBytes ?? -1, -$0.pid) > ($1.rssBytes ?? -1, -$1.pid) }
        case .pid: workers.sorted { $0.pid < $1.pid }
        }
    }

    private func columns(_ values: [String]) -> String {
        let widths = [8, 7, 6, 9, 7, 9]
        var line = "    "
        for (index, value) in values.enumerated() {
            guard index < widths.count else {
                line += value
                break
            }
            let cell = index == 0 || index == 5 ? pad(value, widths[index]) : padLeft(value, widths[index])
            line += cell + " "
        }
        return line.replacingOccurrences(of: " +$", with: "", options: .regularExpression)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    private func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    func percent(_ value: Double) -> String { String(format: "%.1f", value) }

    func bytes(_ value: Int) -> String {
        if value < 1 << 20 { return "\(value >> 10) KiB" }
        if value < 1 << 30 { return String(format: "%.1f MiB", Double(value) / 1_048_576) }
        return String(format: "%.2f GiB", Double(value) / 1_073_741_824)
    }

    /// `42s`, `5m03s`, `2h10m`, `3d04h`.
    func age(_ since: Date?) -> String {
        guard let since else { return "-" }
        let seconds = max(0, Int(now.timeIntervalSince(since)))
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return String(format: "%dm%02ds", seconds / 60, seconds % 60) }
        if seconds < 86400 { return String(format: "%dh%02dm", seconds / 3600, seconds % 3600 / 60) }
        return String(format: "%dd%02dh", seconds / 86400, seconds % 86400 / 3600)
    }

    private func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}
