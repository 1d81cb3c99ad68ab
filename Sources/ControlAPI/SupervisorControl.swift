import Supervisor

/// What the HTTP API asks of the supervisor: every route goes through this,
/// never through the `Supervisor` actor itself, so that the routes can be
/// tested against a fake (Tests/ControlAPITests). Typed values in and out:
/// parsing the URL's text, the Go-era texts and the JSON field names are
/// ControlAPI's.
public protocol SupervisorControl: Sendable {
    /// Every task of the config, sorted by name.
    var taskNames: [String] { get }
    /// The largest cardinality a task may be given (`max_cardinality`).
    var maxCardinality: Int { get }
    /// Lifecycle events, for `GET /events`.
    var events: EventBus { get }
    /// The workers' latest output lines, for `GET /tasks/NAME/logs`.
    var recentOutput: RecentOutput { get }

    /// A task's status; its effective `settings` only when asked for (the
    /// JSON form shows them, the text does not).
    func status(of name: String, withSettings: Bool) async throws(ControlError) -> TaskStatus
    func statusOfRunningTasks() async -> [TaskStatus]
    func workers(of name: String) async throws(ControlError) -> [WorkerStatus]
    func start(_ name: String) async throws(ControlError) -> StartOutcome
    func stop(_ name: String) async throws(ControlError) -> StopOutcome
    /// Stops every running task; the names of those it stopped.
    func stopAll() async -> [String]
    func setCardinality(_ name: String, to cardinality: Int) async throws(ControlError)
    func restart(_ name: String, pace: RolloutPaceOverride) async throws(ControlError) -> RestartOutcome
    func restartAll(pace: RolloutPaceOverride) async throws(ControlError) -> [String]
    /// Pool operations (README "Pool operations"): a signal to every worker
    /// (their pids), every autostart task started (their names), pause, resume.
    func signal(_ name: String, signal: Int32) async throws(ControlError) -> [Int32]
    func startAll() async -> [String]
    func pause(_ name: String) async throws(ControlError) -> PoolStateMachine.PauseOutcome
    func resume(_ name: String) async throws(ControlError) -> PoolStateMachine.ResumeOutcome
    func reload() async throws(ConfigError) -> ReloadReport
    func reloadPreview() async throws(ConfigError) -> ReloadReport
    /// Brings the gauges `/metrics` shows up to date.
    func refreshMetrics() async
    /// How long the supervisor took to answer, nil when not within `limit`.
    func answers(within limit: Duration) async -> Duration?
    func readiness(only: [String]?) async -> ReadinessReport
}

extension Supervisor: SupervisorControl {
    public nonisolated var maxCardinality: Int { config.maxCardinality }
}
