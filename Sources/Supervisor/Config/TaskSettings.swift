import FoundationEssentials
import Glibc

/// A task's effective settings as `GET /tasks/NAME` (JSON, `settings`) and
/// `wpmanager --check-config` show them, named as the config keys are.
/// Environment values are never shown: only the names `env` sets and removes.
public struct TaskSettings: Sendable, Equatable, Codable {
    public struct Limit: Sendable, Equatable, Codable {
        /// A number, or "unlimited".
        public var soft: LimitValue
        public var hard: LimitValue
    }

    public enum LimitValue: Sendable, Equatable, Codable, CustomStringConvertible {
        case amount(UInt64)
        case unlimited

        init(_ value: rlim_t) { self = value == ResourceLimit.unlimited ? .unlimited : .amount(UInt64(value)) }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let n = try? container.decode(UInt64.self) {
                self = .amount(n)
            } else {
                _ = try container.decode(String.self)
                self = .unlimited
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .amount(let n): try container.encode(n)
            case .unlimited: try container.encode("unlimited")
            }
        }

        public var description: String {
            switch self {
            case .amount(let n): String(n)
            case .unlimited: "unlimited"
            }
        }
    }

    public var cmd: String
    public var args: [String]
    public var cardinality: Int
    public var autostart: Bool
    public var captureOutput: Bool
    public var stallTimeout: Int
    public var gracePeriod: Int
    public var minUptime: Int
    public var backoffInitial: Int
    public var backoffMax: Int
    /// Optional: absent in the replies of a manager without it.
    public var backoffReset: Int?
    /// Names `env` sets (values hidden), sorted.
    public var env: [String]
    /// Names `env` removes (null), sorted.
    public var envRemoved: [String]
    public var clearEnv: Bool
    public var envFile: String?
    public var cwd: String?
    public var user: String?
    public var uid: UInt32?
    public var group: String?
    public var gid: UInt32?
    /// Supplementary groups, when the user or group is set.
    public var groups: [UInt32]?
    /// Octal, four digits ("0027").
    public var umask: String?
    public var nice: Int?
    public var oomScoreAdj: Int?
    public var rlimits: [String: Limit]
    public var stopSignal: String
    /// The two-phase stop (absent without `drain_signal`).
    public var drainSignal: String?
    public var drainTimeout: Int?
    /// Recycling limits (each absent when not set).
    public var maxLifetime: Int?
    public var lifetimeJitter: Double?
    public var maxMemory: Int?
    public var memoryCheckInterval: Int?
    public var maxJobs: Int?
    public var pdeathsig: Bool
    /// Whether its workers are started through the exec helper.
    public var execHelper: Bool

    enum CodingKeys: String, CodingKey {
        case cmd, args, cardinality, autostart, env, cwd, user, uid, group, gid, groups, umask, nice, rlimits, pdeathsig
        case captureOutput = "capture_output"
        case stallTimeout = "stall_timeout"
        case gracePeriod = "grace_period"
        case minUptime = "min_uptime"
        case backoffInitial = "backoff_initial"
        case backoffMax = "backoff_max"
        case backoffReset = "backoff_reset"
        case envRemoved = "env_removed"
        case clearEnv = "clear_env"
        case envFile = "env_file"
        case oomScoreAdj = "oom_score_adj"
        case stopSignal = "stop_signal"
        case drainSignal = "drain_signal"
        case drainTimeout = "drain_timeout"
        case maxLifetime = "max_lifetime"
        case lifetimeJitter = "lifetime_jitter"
        case maxMemory = "max_memory"
        case memoryCheckInterval = "memory_check_interval"
        case maxJobs = "max_jobs"
        case execHelper = "exec_helper"
    }

    public init(_ spec: TaskSpec) {
        let launch = spec.launch
        cmd = spec.command
        args = spec.args
        cardinality = spec.cardinality
        autostart = spec.autostart
        captureOutput = spec.captureOutput
        stallTimeout = spec.stallTimeoutMS
        gracePeriod = spec.gracePeriodMS
        minUptime = spec.restart.minUptimeMS
        backoffInitial = spec.restart.initialBackoffMS
        backoffMax = spec.restart.maxBackoffMS
        backoffReset = spec.restart.backoffResetMS
        env = launch.env.filter { $0.value != nil }.keys.sorted()
        envRemoved = launch.env.filter { $0.value == nil }.keys.sorted()
        clearEnv = launch.clearEnv
        envFile = launch.envFile
        cwd = launch.cwd
        user = launch.user?.name
        uid = launch.user?.uid
        group = launch.group?.name
        gid = launch.group?.gid ?? launch.user?.gid
        groups = launch.supplementaryGroups
        umask = launch.umask.map { "0" + String($0, radix: 8).leftPadded(to: 3) }
        nice = launch.nice
        oomScoreAdj = launch.oomScoreAdj
        rlimits = launch.rlimits.mapValues { Limit(soft: LimitValue($0.soft), hard: LimitValue($0.hard)) }
        stopSignal = StopSignal.name(launch.stopSignal)
        drainSignal = spec.drain.signal.map(PoolSignal.name)
        drainTimeout = spec.drain.signal != nil ? spec.drain.timeoutMS : nil
        maxLifetime = spec.recycle.maxLifetimeMS
        lifetimeJitter = spec.recycle.maxLifetimeMS != nil ? spec.recycle.lifetimeJitter : nil
        maxMemory = spec.recycle.maxMemoryBytes
        memoryCheckInterval = spec.recycle.maxMemoryBytes != nil ? spec.recycle.memoryCheckIntervalMS : nil
        maxJobs = spec.recycle.maxJobs
        pdeathsig = launch.parentDeathSignal
        execHelper = launch.needsHelper
    }

    /// One `key: value` line per setting, in the order of the Keys table.
    public var lines: [String] {
        func quoted(_ text: String) -> String { text.debugDescription }
        var lines = [
            "cmd: \(quoted(cmd))",
            "args: [\(args.map(quoted).joined(separator: ", "))]",
            "cardinality: \(cardinality)",
            "autostart: \(autostart)",
            "capture_output: \(captureOutput)",
            "stall_timeout: \(stallTimeout)",
            "grace_period: \(gracePeriod)",
            "min_uptime: \(minUptime)",
            "backoff_initial: \(backoffInitial)",
            "backoff_max: \(backoffMax)",
            "backoff_reset: \(backoffReset ?? RestartPolicy.defaultBackoffResetMS)",
            "clear_env: \(clearEnv)",
            "env: [\(env.joined(separator: ", "))] (values hidden)",
        ]
        if !envRemoved.isEmpty { lines.append("env removed: [\(envRemoved.joined(separator: ", "))]") }
        if let envFile { lines.append("env_file: \(quoted(envFile))") }
        if let cwd { lines.append("cwd: \(quoted(cwd))") }
        if let user, let uid { lines.append("user: \(user) (uid \(uid))") }
        if let gid { lines.append(group.map { "group: \($0) (gid \(gid))" } ?? "gid: \(gid)") }
        if let groups { lines.append("groups: \(groups.map(String.init).joined(separator: ","))") }
        if let umask { lines.append("umask: \(umask)") }
        if let nice { lines.append("nice: \(nice)") }
        if let oomScoreAdj { lines.append("oom_score_adj: \(oomScoreAdj)") }
        for name in rlimits.keys.sorted() {
            lines.append("rlimits.\(name): soft \(rlimits[name]!.soft), hard \(rlimits[name]!.hard)")
        }
        lines.append("stop_signal: \(stopSignal)")
        if let drainSignal, let drainTimeout { lines.append("drain_signal: \(drainSignal), drain_timeout: \(drainTimeout)") }
        if let maxLifetime { lines.append("max_lifetime: \(maxLifetime), lifetime_jitter: \(lifetimeJitter ?? 0)") }
        if let maxMemory {
            lines.append("max_memory: \(maxMemory) (\(RecyclePolicy.bytesText(maxMemory))), memory_check_interval: \(memoryCheckInterval ?? 0)")
        }
        if let maxJobs { lines.append("max_jobs: \(maxJobs)") }
        lines.append("pdeathsig: \(pdeathsig)")
        lines.append("exec helper: \(execHelper ? "yes" : "no")")
        return lines
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
