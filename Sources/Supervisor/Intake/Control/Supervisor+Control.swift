import FoundationEssentials
import Glibc

/// The control operations, shared by the HTTP API and anything else that
/// steers the supervisor. None of them waits on a worker.
extension Supervisor {
    /// Throws unless `name` is a task of the config in use.
    private func known(_ name: String) throws(ControlError) {
        guard pools[name] != nil, !retired.contains(name) else { throw .unknownTask(name) }
    }

    /// The status of one task, with its effective settings when asked for
    /// (read in place: the pool is not copied).
    public func status(of name: String, withSettings: Bool) throws(ControlError) -> TaskStatus {
        try known(name)
        var status = withOutputDrops(pools[name]!.status(now: clock.now()))
        if withSettings { status.settings = TaskSettings(pools[name]!.spec) }
        return status
    }

    /// The status of every running task, sorted by name.
    public func statusOfRunningTasks() -> [TaskStatus] {
        let now = clock.now()
        return taskNames.compactMap { pools[$0]?.phase == .running ? withOutputDrops(pools[$0]!.status(now: now)) : nil }
    }

    private func withOutputDrops(_ status: TaskStatus) -> TaskStatus {
        var status = status
        status.outputLinesDropped = spawner.output.droppedLines(task: status.name)
        return status
    }

    public func workers(of name: String) throws(ControlError) -> [WorkerStatus] {
        try known(name)
        guard pools[name]!.phase == .running else { throw .notRunning(name) }
        return pools[name]!.workerStatuses()
    }

    public func start(_ name: String) throws(ControlError) -> StartOutcome {
        try known(name)
        let now = clock.now()
        let (outcome, actions) = pools[name]!.start(now: now)
        if outcome == .started { logger.notice("task started", metadata: ["task": "\(name)"]) }
        if outcome == .started { emit(.taskStarted(cardinality: pools[name]!.cardinality), task: name, now: now) }
        perform(actions, task: name, now: now)
        if outcome == .started { saveState() }
        return outcome
    }

    public func stop(_ name: String) throws(ControlError) -> StopOutcome {
        try known(name)
        let now = clock.now()
        let (outcome, actions) = pools[name]!.stop(now: now)
        if outcome == .stopped { logger.notice("task stopped", metadata: ["task": "\(name)"]) }
        if outcome == .stopped { emit(.taskStopped, task: name, now: now) }
        perform(actions, task: name, now: now)
        if outcome == .stopped { saveState() }
        return outcome
    }

    /// Stops every running task; returns the names of those it stopped.
    public func stopAll() -> [String] {
        // Every task's workers get their stop signal before any is logged.
        signalling { taskNames.filter { (try? stop($0)) == .stopped } }
    }

    /// Gives a task `cardinality` workers (0 to `max_cardinality`).
    public func setCardinality(_ name: String, to cardinality: Int) throws(ControlError) {
        try known(name)
        let max = config.maxCardinality
        guard cardinality >= 0, cardinality <= max else { throw .cardinalityOutOfRange(cardinality, max: max) }
        let now = clock.now()
        let previous = pools[name]!.cardinality
        let actions = pools[name]!.setCardinality(cardinality, now: now)
        logger.notice("cardinality changed", metadata: ["task": "\(name)", "cardinality": "\(cardinality)"])
        emit(.cardinalityChanged(from: previous, to: cardinality), task: name, now: now)
        perform(actions, task: name, now: now)
        saveState()
    }

    /// Starts the tasks the config marks as autotasks (once), or, for the
    /// tasks a restored state names, those it says were running.
    public func startAutotasks() {
        guard lifecycle == .starting else { return }
        lifecycle = .running
        for spec in config.tasks where restored?.tasks[spec.name]?.running ?? spec.autostart {
            _ = try? start(spec.name)
        }
    }
}
