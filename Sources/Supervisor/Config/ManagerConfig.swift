/// Everything `wpmanager` runs with, after decoding, discovery and validation.
public struct ManagerConfig: Sendable, Equatable {
    public static let defaultPort = 8010
    public static let defaultListen = "127.0.0.1"
    public static let defaultStallTimeoutMS = 60_000
    public static let defaultGracePeriodMS = 100
    public static let defaultForceTimeoutMS = 15_000
    public static let defaultMaxCardinality = 10_000
    public static let defaultHTTPTimeoutMS = 10_000

    /// The file it was read from (for messages).
    public var file: String
    /// HTTP port; 0 lets the OS pick one (it is logged).
    public var port: Int
    /// HTTP listen address.
    public var listen: String
    public var keepalives: KeepAliveConfig
    /// Longest time a shutdown may take, in milliseconds.
    public var forceTimeoutMS: Int
    /// Upper bound for any cardinality, from the config or the API.
    public var maxCardinality: Int
    /// The task directory, as written in the config.
    public var path: String
    public var fileSuffix: String
    /// Every discovered task, sorted by name.
    public var tasks: [TaskSpec]
    /// Per-task worker log files (`log_dir`), if configured.
    public var workerLogs: WorkerLogConfig?
    /// The restart policy of every task without one of its own.
    public var restart = RestartPolicy()
    /// How /readyz judges every task without a policy of its own.
    public var health = HealthPolicy()
    /// Where run-time changes are kept across restarts (`state_file`; by
    /// default `NAME.state.json` beside `NAME.json`).
    public var stateFile: String = "wpmanager.state.json"
    /// The bearer token every HTTP request must carry (`token` or
    /// `$WPM_TOKEN`); nil: none is asked for.
    public var token: String?
    /// How long an HTTP connection may stay idle, or one request take to
    /// arrive, before it is closed (`http_timeout`).
    public var httpTimeoutMS: Int = ManagerConfig.defaultHTTPTimeoutMS
    /// Accepted but questionable things (unknown keys), one sentence each.
    public var warnings: [String]

    public init(
        file: String = "<memory>", port: Int = ManagerConfig.defaultPort,
        listen: String = ManagerConfig.defaultListen, keepalives: KeepAliveConfig = .init(),
        forceTimeoutMS: Int = ManagerConfig.defaultForceTimeoutMS,
        maxCardinality: Int = ManagerConfig.defaultMaxCardinality,
        path: String = "", fileSuffix: String = "", tasks: [TaskSpec] = [], warnings: [String] = []
    ) {
        self.file = file
        self.port = port
        self.listen = listen
        self.keepalives = keepalives
        self.forceTimeoutMS = forceTimeoutMS
        self.maxCardinality = maxCardinality
        self.path = path
        self.fileSuffix = fileSuffix
        self.tasks = tasks
        self.warnings = warnings
    }
}

/// The `keepalives` section.
public struct KeepAliveConfig: Sendable, Equatable {
    public var host: String = "localhost"
    public var inboundPort: Int = 5591
    public var internalPort: Int = 5592
    public var stallTimeoutMS: Int = ManagerConfig.defaultStallTimeoutMS
    public var gracePeriodMS: Int = ManagerConfig.defaultGracePeriodMS
    /// From spawn to readiness; nil: each task's stall timeout.
    public var startupTimeoutMS: Int?

    public init() {}
}

/// One task (a pool of identical workers) as configured.
public struct TaskSpec: Sendable, Equatable {
    public var name: String
    /// Absolute or `path`-joined executable.
    public var command: String
    public var args: [String]
    public var cardinality: Int
    public var captureOutput: Bool
    public var autostart: Bool
    public var stallTimeoutMS: Int
    public var gracePeriodMS: Int
    public var restart: RestartPolicy
    /// What makes a worker ready (`ready_on`).
    public var readyOn: ReadyOn = .keepAlive
    /// From spawn to readiness (`startup_timeout`); nil: `stallTimeoutMS`.
    public var startupTimeoutMS: Int?
    /// How fast a rolling restart goes (`max_surge`, `max_unavailable`).
    public var rolloutPace = Rollout.Pace()

    /// The deadline from spawn to readiness, in milliseconds.
    public var effectiveStartupTimeoutMS: Int { startupTimeoutMS ?? stallTimeoutMS }
    /// How /readyz judges this task (`min_ready`, `ready_grace`).
    public var health = HealthPolicy()
    /// Environment, directory, user, limits and stop signal of its workers.
    public var launch = LaunchSettings()
    /// The first phase of a stop (`drain_signal`, `drain_timeout`).
    public var drain = DrainSettings()
    /// When workers are replaced the graceful way (`max_lifetime`, `max_memory`, `max_jobs`).
    public var recycle = RecyclePolicy()

    public init(
        name: String, command: String, args: [String] = [], cardinality: Int = 1,
        captureOutput: Bool = false, autostart: Bool = false,
        stallTimeoutMS: Int = ManagerConfig.defaultStallTimeoutMS,
        gracePeriodMS: Int = ManagerConfig.defaultGracePeriodMS, restart: RestartPolicy = RestartPolicy()
    ) {
        self.restart = restart
        self.name = name
        self.command = command
        self.args = args
        self.cardinality = cardinality
        self.captureOutput = captureOutput
        self.autostart = autostart
        self.stallTimeoutMS = stallTimeoutMS
        self.gracePeriodMS = gracePeriodMS
    }
}

/// When a worker counts as ready (`ready_on` in its task).
public enum ReadyOn: String, Sendable, Equatable, CaseIterable {
    /// At its first valid keep-alive.
    case keepAlive = "keepalive"
    /// Once a keep-alive says `ready` or `working`.
    case status
}
