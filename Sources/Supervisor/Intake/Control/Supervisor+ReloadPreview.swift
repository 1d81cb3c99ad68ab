import FoundationEssentials
import Glibc

/// What a reload would do, without doing it (`POST /reload?dry_run=1`).
extension Supervisor {
    /// Reads the config again and says, task by task, what `reload` would
    /// do now; changes nothing. Throws when the config cannot be used.
    public func reloadPreview() throws(ConfigError) -> ReloadReport {
        let new = try configSource()
        let diff = ConfigDiff(from: config, to: new)
        let results = diff.tasks.keys.sorted().map { name in preview(diff.tasks[name]!, of: name) }
        return ReloadReport(
            tasks: results, needsRestart: diff.needsRestart, appliedInPlace: diff.appliedInPlace, warnings: new.warnings)
    }

    private func preview(_ change: ConfigDiff.Change, of name: String) -> ReloadReport.TaskResult {
        let pool = retired.contains(name) ? nil : pools[name]
        let running = pool?.phase == .running
        switch change {
        case .unchanged:
            return .init(task: name, result: "unchanged", changed: [], actions: [])
        case .added(let spec):
            return .init(task: name, result: "added", changed: [], actions: spec.autostart ? ["started"] : [])
        case .removed:
            return .init(task: name, result: "removed", changed: [], actions: running ? ["stopped"] : [])
        case .changed(let spec, let keys, let relaunch):
            var actions: [String] = []
            if let pool, keys.contains("cardinality") {
                actions.append("cardinality \(pool.cardinality) -> \(spec.cardinality)")
            }
            if keys.contains("autostart") {
                if spec.autostart, !running { actions.append("started") }
                if !spec.autostart, running { actions.append("stopped") }
            }
            let runsAfter = keys.contains("autostart") ? spec.autostart : running
            if relaunch, runsAfter { actions.append("rolling restart") }
            let inPlace = keys.filter { $0 != "cardinality" && $0 != "autostart" && !ConfigDiff.launchKeyNames.contains($0) }
            if !inPlace.isEmpty { actions.append("applied in place") }
            if relaunch, !runsAfter { actions.append("used at the next start") }
            return .init(task: name, result: "changed", changed: keys, actions: actions)
        }
    }
}
