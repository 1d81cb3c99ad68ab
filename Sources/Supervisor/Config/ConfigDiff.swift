/// What a config reload changes, task by task: decided from the config in
/// use and the one just read, with no I/O (the supervisor applies it).
public struct ConfigDiff: Sendable, Equatable {
    /// One task's change.
    public enum Change: Sendable, Equatable {
        /// A new task (a new file in `path`).
        case added(TaskSpec)
        /// Its file is gone: stopped and forgotten.
        case removed
        /// Settings changed: `keys` (config key names); `relaunch` when
        /// what a worker is started with changed (a rolling restart).
        case changed(TaskSpec, keys: [String], relaunch: Bool)
        case unchanged
    }

    /// Every task of either config, by name.
    public var tasks: [String: Change]
    /// Top-level keys whose new value needs a new manager process; their
    /// running values are kept.
    public var needsRestart: [String]
    /// Top-level keys whose new value applies to the running manager at
    /// once (the worker log files), with no worker restarted.
    public var appliedInPlace: [String]

    /// The keys applied to running workers without restarting them: the
    /// rest of a task's settings is what a worker is started with.
    static let inPlaceKeys: [(name: String, differs: @Sendable (TaskSpec, TaskSpec) -> Bool)] = [
        ("cardinality", { $0.cardinality != $1.cardinality }),
        ("autostart", { $0.autostart != $1.autostart }),
        ("stall_timeout", { $0.stallTimeoutMS != $1.stallTimeoutMS }),
        ("grace_period", { $0.gracePeriodMS != $1.gracePeriodMS }),
        ("startup_timeout", { $0.startupTimeoutMS != $1.startupTimeoutMS }),
        ("ready_on", { $0.readyOn != $1.readyOn }),
        ("restart policy", { $0.restart != $1.restart }),
        ("max_surge/max_unavailable", { $0.rolloutPace != $1.rolloutPace }),
        ("capture_output", { $0.captureOutput != $1.captureOutput }),
        ("min_ready/ready_grace", { $0.health != $1.health }),
        ("drain_signal/drain_timeout", { $0.drain != $1.drain }),
        ("max_lifetime/lifetime_jitter/max_memory/memory_check_interval/max_jobs", { $0.recycle != $1.recycle }),
    ]

    /// The keys a worker is started with that have a name here; any other
    /// difference (settings added since) is reported as "launch settings".
    static let launchKeys: [(name: String, differs: @Sendable (TaskSpec, TaskSpec) -> Bool)] = [
        ("cmd", { $0.command != $1.command }),
        ("args", { $0.args != $1.args }),
    ]

    static let launchKeyNames: Set<String> = Set(launchKeys.map(\.name)).union(["launch settings"])

    public init(from old: ManagerConfig, to new: ManagerConfig) {
        var tasks: [String: Change] = [:]
        let oldSpecs = Dictionary(old.tasks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for spec in new.tasks {
            guard let before = oldSpecs[spec.name] else {
                tasks[spec.name] = .added(spec)
                continue
            }
            tasks[spec.name] = Self.change(from: before, to: spec)
        }
        for name in oldSpecs.keys where tasks[name] == nil { tasks[name] = .removed }
        self.tasks = tasks
        needsRestart = Self.needsRestart(old, new)
        appliedInPlace = Self.appliedInPlace(old, new)
    }

    static func change(from old: TaskSpec, to new: TaskSpec) -> Change {
        guard old != new else { return .unchanged }
        var keys = inPlaceKeys.filter { $0.differs(old, new) }.map(\.name)
        // What is left once the in-place keys are equal is what a worker is started with.
        var launchOld = old
        launchOld.cardinality = new.cardinality
        launchOld.autostart = new.autostart
        launchOld.stallTimeoutMS = new.stallTimeoutMS
        launchOld.gracePeriodMS = new.gracePeriodMS
        launchOld.startupTimeoutMS = new.startupTimeoutMS
        launchOld.readyOn = new.readyOn
        launchOld.restart = new.restart
        launchOld.rolloutPace = new.rolloutPace
        launchOld.captureOutput = new.captureOutput
        launchOld.health = new.health
        launchOld.drain = new.drain
        launchOld.recycle = new.recycle
        let relaunch = launchOld != new
        if relaunch {
            let named = launchKeys.filter { $0.differs(old, new) }.map(\.name)
            var unexplained = launchOld
            unexplained.command = new.command
            unexplained.args = new.args
            keys += named + (unexplained != new ? ["launch settings"] : [])
        }
        return .changed(new, keys: keys, relaunch: relaunch)
    }

    static func needsRestart(_ old: ManagerConfig, _ new: ManagerConfig) -> [String] {
        var keys: [String] = []
        if old.port != new.port { keys.append("port") }
        if old.listen != new.listen { keys.append("listen") }
        if old.keepalives.host != new.keepalives.host { keys.append("keepalives.host") }
        if old.keepalives.inboundPort != new.keepalives.inboundPort { keys.append("keepalives.inbound_port") }
        if old.keepalives.internalPort != new.keepalives.internalPort { keys.append("keepalives.internal_port") }
        if old.token != new.token { keys.append("token") }
        if old.httpTimeoutMS != new.httpTimeoutMS { keys.append("http_timeout") }
        if old.stateFile != new.stateFile { keys.append("state_file") }
        return keys
    }

    static func appliedInPlace(_ old: ManagerConfig, _ new: ManagerConfig) -> [String] {
        let (before, after) = (old.workerLogs, new.workerLogs)
        var keys: [String] = []
        if before?.directory != after?.directory { keys.append("log_dir") }
        if before?.maxSize != after?.maxSize { keys.append("log_max_size") }
        if before?.backups != after?.backups { keys.append("log_backups") }
        return keys
    }

    /// Whether nothing changes at all.
    public var isEmpty: Bool {
        needsRestart.isEmpty && appliedInPlace.isEmpty && tasks.values.allSatisfy { $0 == .unchanged }
    }
}
