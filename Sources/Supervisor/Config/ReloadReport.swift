/// What a config reload did, task by task (the reply of `POST /reload`).
public struct ReloadReport: Sendable, Equatable, Encodable {
    public struct TaskResult: Sendable, Equatable, Encodable {
        public var task: String
        /// `added`, `removed`, `changed` or `unchanged`.
        public var result: String
        /// The config keys that changed.
        public var changed: [String]
        /// What was done: `started`, `stopped`, `cardinality 2 -> 4`,
        /// `rolling restart`, `applied in place` ...
        public var actions: [String]
    }

    /// Every task of the old or the new config, sorted by name.
    public var tasks: [TaskResult]
    /// Top-level keys that changed but need a new manager process: their
    /// running values are kept.
    public var needsRestart: [String]
    /// Top-level keys that changed and apply to the running manager at once
    /// (`log_dir`, `log_max_size`, `log_backups`).
    public var appliedInPlace: [String]
    /// The config's warnings (unknown keys).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case tasks, warnings
        case needsRestart = "needs_restart"
        case appliedInPlace = "applied_in_place"
    }

    public init(tasks: [TaskResult], needsRestart: [String], appliedInPlace: [String] = [], warnings: [String]) {
        self.tasks = tasks
        self.needsRestart = needsRestart
        self.appliedInPlace = appliedInPlace
        self.warnings = warnings
    }

    /// One line per task, then the top-level keys applied in place, then
    /// those that need a restart.
    public var lines: [String] {
        var lines = tasks.map { task -> String in
            var text = "\(task.task): \(task.result)"
            if !task.changed.isEmpty { text += " (\(task.changed.joined(separator: ", ")))" }
            if !task.actions.isEmpty { text += ": " + task.actions.joined(separator: ", ") }
            return text
        }
        if !appliedInPlace.isEmpty {
            lines.append("applied in place: \(appliedInPlace.joined(separator: ", "))")
        }
        if !needsRestart.isEmpty {
            lines.append("needs a restart of wpmanager (running values kept): \(needsRestart.joined(separator: ", "))")
        }
        return lines
    }
}
