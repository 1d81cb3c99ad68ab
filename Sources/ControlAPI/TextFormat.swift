import FoundationEssentials
import Glibc
import Supervisor

/// The text bodies the Go version's users parse: `Key:<TAB>value` lines
/// sorted by key, RFC 3339 UTC times.
enum TextFormat {
    static func time(_ date: Date) -> String { RFC3339Time.format(date) }

    static func status(_ s: TaskStatus) -> String {
        var fields: [String: String] = [
            "Task name": s.name,
            "Running": s.running ? "true" : "false",
            "Active Workers": "\(s.activeWorkers) / \(s.cardinality)",
            "Ready Workers": "\(s.readyWorkers) / \(s.cardinality)",
            "Dead Workers": "\(s.deadWorkers)",
            "Stalled Workers": "\(s.stalledWorkers)",
            // How the dead workers ended (with Stalled Workers, they add up to Dead Workers).
            "Clean Exits": "\(s.exits.clean)",
            "Crashed Workers": "\(s.exits.crashed)",
            "Killed Workers": "\(s.exits.signaled)",
        ]
        if let startedAt = s.startedAt { fields["Started at"] = time(startedAt) }
        if let lastAlive = s.lastAliveAt { fields["Last alive at"] = time(lastAlive) }
        if s.stoppingWorkers > 0 { fields["Stopping Workers"] = "\(s.stoppingWorkers)" }
        if s.paused == true { fields["Paused"] = "true" }
        if let draining = s.drainingWorkers, draining > 0 { fields["Draining Workers"] = "\(draining)" }
        if let error = s.lastSpawnError { fields["Last spawn error"] = error }
        if let exit = s.lastExit { fields["Last exit"] = exit }
        if let rollout = s.rollout {
            fields["Rollout"] =
                rollout.state == "failed"
                ? "failed (\(oneLine(rollout.reason ?? "")))" : "\(rollout.replaced ?? 0)/\(rollout.total ?? 0) replaced"
        }
        if s.exits.startupTimeout > 0 { fields["Startup Timeouts"] = "\(s.exits.startupTimeout)" }
        if s.exits.recycled > 0 { fields["Recycled Workers"] = "\(s.exits.recycled)" }
        if s.outputLinesDropped > 0 { fields["Dropped Output Lines"] = "\(s.outputLinesDropped)" }
        if let next = s.nextSpawnAt { fields["Next spawn at"] = time(next) }
        if let reason = s.backoffReason {
            let failures = s.quickFailures == 1 ? "1 quick failure" : "\(s.quickFailures) quick failures"
            fields["Restart backoff"] = "\(failures) in a row, last: \(reason)"
        }
        return fields.keys.sorted().map { "\($0):\t\(fields[$0]!)\n" }.joined()
    }

    /// Worker-supplied text kept on one line and free of tabs.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
