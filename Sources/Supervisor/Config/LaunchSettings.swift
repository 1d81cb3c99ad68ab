import FoundationEssentials
import Glibc

/// How a task's workers are launched, beyond the command and its arguments:
/// environment, directory, user, limits and the signal that stops them
/// (the keys `env`, `clear_env`, `env_file`, `cwd`, `user`, `group`,
/// `umask`, `nice`, `oom_score_adj`, `rlimits`, `stop_signal`, `pdeathsig`).
/// A value, compared as a whole: two tasks launch alike when theirs are equal.
public struct LaunchSettings: Sendable, Equatable {
    /// Variables added to the environment (a nil value removes one), sorted by name.
    public var env: [String: String?] = [:]
    /// Start from an empty environment (plus `PATH`) instead of the manager's.
    public var clearEnv = false
    /// A file in systemd `EnvironmentFile=` syntax, read at every spawn.
    public var envFile: String?
    /// The worker's current directory (the manager's when nil).
    public var cwd: String?
    /// The user the worker runs as, resolved at load.
    public var user: UserIdentity?
    /// The worker's group (by default the user's primary group).
    public var group: GroupIdentity?
    /// The worker's file mode creation mask.
    public var umask: mode_t?
    public var nice: Int?
    public var oomScoreAdj: Int?
    /// Resource limits, by name (`nofile`, `nproc`, `core`, `as`, `memlock`).
    public var rlimits: [String: ResourceLimit] = [:]
    /// Sent to stop a worker (task stop, scale-down, stall, shutdown) before
    /// the grace period and SIGKILL; also its parent-death signal.
    public var stopSignal: Int32 = SIGTERM
    /// Whether the worker gets `stopSignal` when the manager dies.
    public var parentDeathSignal = LaunchSettings.defaultParentDeathSignal

    /// Off: it costs every spawn the exec helper's extra exec, and the spawn
    /// benchmark with it on came out at 2.38 × its baseline, above the 1.5 ×
    /// the design allows for a default (README, "Performance").
    public static let defaultParentDeathSignal = false

    public init() {}

    /// Whether a spawn goes through the exec helper (`wpexec`): set what
    /// `posix_spawn` cannot.
    public var needsHelper: Bool {
        user != nil || group != nil || umask != nil || nice != nil || oomScoreAdj != nil || !rlimits.isEmpty
            || parentDeathSignal
    }

    /// Whether the environment differs from the manager's (plus the `WPM_` variables).
    var changesEnvironment: Bool { !env.isEmpty || clearEnv || envFile != nil || user != nil }

    /// The supplementary groups the worker gets: the user's (from the group
    /// database at load, with the effective group), or only the group when
    /// no user is set.
    public var supplementaryGroups: [gid_t]? {
        user?.groups ?? group.map { [$0.gid] }
    }
}

/// A user from the user database.
public struct UserIdentity: Sendable, Equatable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t
    public var home: String
    /// The user's groups as the group database gave them at load
    /// (`getgrouplist` with the worker's group first).
    public var groups: [gid_t]
}

/// A group from the group database.
public struct GroupIdentity: Sendable, Equatable {
    public var name: String
    public var gid: gid_t
}

/// A soft and a hard limit (`unlimited` for none).
public struct ResourceLimit: Sendable, Equatable {
    /// `RLIM_INFINITY` (which Swift imports wrongly).
    public static let unlimited = rlim_t.max

    public var soft: rlim_t
    public var hard: rlim_t

    /// The limits `rlimits` may set, with their `RLIMIT_` numbers (Linux's:
    /// glibc defines NPROC and MEMLOCK as macros Swift does not import).
    public static let resources: [(name: String, resource: Int32)] = [
        ("nofile", Int32(RLIMIT_NOFILE.rawValue)), ("nproc", 6), ("core", Int32(RLIMIT_CORE.rawValue)),
        ("as", Int32(RLIMIT_AS.rawValue)), ("memlock", 8),
    ]

    static func resource(named name: String) -> Int32? {
        resources.first { $0.name == name }?.resource
    }

    static func text(_ value: rlim_t) -> String { value == ResourceLimit.unlimited ? "unlimited" : String(value) }
}

/// The signals `stop_signal` accepts.
public enum StopSignal {
    public static let allowed: [(name: String, number: Int32)] = [
        ("TERM", SIGTERM), ("INT", SIGINT), ("QUIT", SIGQUIT), ("HUP", SIGHUP), ("USR1", SIGUSR1), ("USR2", SIGUSR2),
        ("WINCH", SIGWINCH),
    ]

    /// `TERM` or `SIGTERM` (any case) → SIGTERM; nil for anything else.
    static func parse(_ text: String) -> Int32? {
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        return allowed.first { $0.name == name }?.number
    }

    public static func name(_ number: Int32) -> String {
        "SIG" + (allowed.first { $0.number == number }?.name ?? String(number))
    }
}
