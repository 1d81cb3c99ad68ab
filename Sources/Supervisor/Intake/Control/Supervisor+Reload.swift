import FoundationEssentials
import Glibc

/// Config reload (SIGHUP, `POST /reload`): the file is read again and what
/// changed is applied task by task (see `ConfigDiff`). An invalid config
/// changes nothing. A cardinality or a stop set through the API stays until
/// the file's own value for the task changes.
extension Supervisor {
    /// Reads the config again and applies the difference; throws, changing
    /// nothing, when the config cannot be used.
    public func reload() throws(ConfigError) -> ReloadReport {
        let old = config
        var new: ManagerConfig
        do {
            new = try configSource()
        } catch {
            logger.error("config reload refused, nothing changed: \(error)")
            throw error
        }
        let diff = ConfigDiff(from: old, to: new)
        // What needs a new process keeps its running value.
        new.port = old.port
        new.listen = old.listen
        new.keepalives.host = old.keepalives.host
        new.keepalives.inboundPort = old.keepalives.inboundPort
        new.keepalives.internalPort = old.keepalives.internalPort
        new.token = old.token
        new.httpTimeoutMS = old.httpTimeoutMS
        new.stateFile = old.stateFile
        if !diff.appliedInPlace.isEmpty { spawner.output.reconfigureFiles(new.workerLogs) }

        let now = clock.now()
        var results: [ReloadReport.TaskResult] = []
        let names = Set(diff.tasks.keys).sorted()
        // Published first: a task added is known to the API before it starts.
        let newNames = new.tasks.map(\.name).sorted()
        current.withLock { $0 = (new, newNames) }
        for name in names {
            guard let change = diff.tasks[name] else { continue }
            results.append(apply(change, to: name, now: now))
        }
        for warning in new.warnings { logger.warning("\(warning)") }
        let report = ReloadReport(
            tasks: results, needsRestart: diff.needsRestart, appliedInPlace: diff.appliedInPlace, warnings: new.warnings)
        logger.notice("config reloaded", metadata: ["changes": "\(report.lines.joined(separator: "; "))"])
        saveState()
        return report
    }

    private func apply(_ change: ConfigDiff.Change, to name: String, now: Moment) -> ReloadReport.TaskResult {
        switch change {
        case .unchanged:
            return .init(task: name, result: "unchanged", changed: [], actions: [])
        case .added(let spec):
            var actions: [String] = []
            if retired.remove(name) != nil, pools[name] != nil {
                pools[name]!.update(spec: spec)
                perform(pools[name]!.setCardinality(spec.cardinality, now: now), task: name, now: now)
            } else {
                pools[name] = PoolStateMachine(spec: spec)
            }
            metrics.addTask(name)
            if spec.autostart, (try? start(name)) == .started { actions.append("started") }
            return .init(task: name, result: "added", changed: [], actions: actions)
        case .removed:
            var actions: [String] = []
            if (try? stop(name)) == .stopped { actions.append("stopped") }
            retired.insert(name)
            forgetRetired(name)
            return .init(task: name, result: "removed", changed: [], actions: actions)
        case .changed(let spec, let keys, let relaunch):
            return .init(task: name, result: "changed", changed: keys, actions: update(name, to: spec, keys: keys, relaunch: relaunch, now: now))
        }
    }

    private func update(_ name: String, to spec: TaskSpec, keys: [String], relaunch: Bool, now: Moment) -> [String] {
        guard let before = pools[name]?.spec else { return [] }
        var actions: [String] = []
        pools[name]!.update(spec: spec)
        if before.cardinality != spec.cardinality {
            let previous = pools[name]!.cardinality
            let follow = pools[name]!.setCardinality(spec.cardinality, now: now)
            emit(.cardinalityChanged(from: previous, to: spec.cardinality), task: name, now: now)
            perform(follow, task: name, now: now)
            actions.append("cardinality \(previous) -> \(spec.cardinality)")
        }
        if before.recycle != spec.recycle {
            perform(pools[name]!.recycleLimitsChanged(now: now), task: name, now: now)
        }
        // Deadlines moved earlier are scheduled again (later ones are found lazily).
        if before.stallTimeoutMS != spec.stallTimeoutMS || before.effectiveStartupTimeoutMS != spec.effectiveStartupTimeoutMS {
            for pid in pools[name]!.workers.keys {
                if let deadline = pools[name]!.stallDeadline(of: pid) { schedule(.stall(name, pid), noLaterThan: deadline) }
            }
        }
        if before.autostart != spec.autostart {
            if spec.autostart, (try? start(name)) == .started { actions.append("started") }
            if !spec.autostart, (try? stop(name)) == .stopped { actions.append("stopped") }
        }
        if relaunch, pools[name]!.phase == .running {
            let (outcome, follow) = pools[name]!.restart(pace: spec.rolloutPace, superseding: true, now: now)
            if outcome == .started {
                perform(follow, task: name, now: now)
                actions.append("rolling restart")
            }
            if outcome == .paused { actions.append("no rolling restart: paused (restart it once resumed)") }
        }
        let inPlace = keys.filter { $0 != "cardinality" && $0 != "autostart" && !ConfigDiff.launchKeyNames.contains($0) }
        if !inPlace.isEmpty { actions.append("applied in place") }
        if relaunch, pools[name]!.phase != .running { actions.append("used at the next start") }
        return actions
    }

    /// A task gone from the config leaves once its last worker has.
    func forgetRetired(_ name: String) {
        guard retired.contains(name), let pool = pools[name], pool.workers.isEmpty, pool.spawnsInFlight == 0 else { return }
        pools.remove(name)
        retired.remove(name)
        deadlines.cancel(.pool(name))
    }
}
