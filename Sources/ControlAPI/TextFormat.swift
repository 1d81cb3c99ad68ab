import FoundationEssentials
import Glibc
import Supervisor

/// The text bodies the Go version's users parse: `Key:<TAB>value` lines
/// sorted by key, RFC 3339 UTC times.
enum TextFormat {
    static func time(_ date: Date) -> String { RFC3339Time.format(date) }

    static func status(_ s: TaskStatus) -> String {
        var text = ""
        text.reserveCapacity(512)
        func line(_ key: String, _ value: String?) {
            guard let value else { return }
            text += key
            text += ":\t"
            text += value
            text += "\n"
        }
        let rollout = s.rollout.map { rollout in
            rollout.state == "failed"
                ? "failed (\(oneLine(rollout.reason ?? "")))" : "\(rollout.replaced ?? 0)/\(rollout.total ?? 0) replaced"
        }
        let backoff = s.backoffReason.map { reason in
            let failures = s.quickFailures == 1 ? "1 quick failure" : "\(s.quickFailures) quick failures"
            return "\(failures) in a row, last: \(reason)"
        }
        // Sorted by key (a dictionary sorted at each request cost a tenth
        // of the status route); TextFormatTests checks the order.
        line("Active Workers", "\(s.activeWorkers) / \(s.cardinality)")
        line("Clean Exits", "\(s.exits.clean)")
        line("Crashed Workers", "\(s.exits.crashed)")
        line("Dead Workers", "\(s.deadWorkers)")
        line("Draining Workers", s.drainingWorkers.flatMap { $0 > 0 ? "\($0)" : nil })
        line("Dropped Output Lines", s.outputLinesDropped > 0 ? "\(s.outputLinesDropped)" : nil)
        line("Killed Workers", "\(s.exits.signaled)")
        line("Last alive at", s.lastAliveAt.map(time))
        line("Last exit", s.lastExit)
        line("Last spawn error", s.lastSpawnError)
        line("Next spawn at", s.nextSpawnAt.map(time))
        line("Paused", s.paused == true ? "true" : nil)
        line("Ready Workers", "\(s.readyWorkers) / \(s.cardinality)")
        line("Recycled Workers", s.exits.recycled > 0 ? "\(s.exits.recycled)" : nil)
        line("Restart backoff", backoff)
        line("Rollout", rollout)
        line("Running", s.running ? "true" : "false")
        line("Stalled Workers", "\(s.stalledWorkers)")
        line("Started at", s.startedAt.map(time))
        line("Startup Timeouts", s.exits.startupTimeout > 0 ? "\(s.exits.startupTimeout)" : nil)
        line("Stopping Workers", s.stoppingWorkers > 0 ? "\(s.stoppingWorkers)" : nil)
        line("Task name", s.name)
        return text
    }

    /// Worker-supplied text kept on one line and free of tabs.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
