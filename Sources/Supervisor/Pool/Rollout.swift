import Glibc
import FoundationEssentials

/// A rolling restart of one pool under way: every worker of an older
/// generation is replaced by one of `generation`, new ones first, an old one
/// stopped only while the ready count stays at or above the cardinality
/// minus `maxUnavailable`, at most `maxSurge` workers above the cardinality.
public struct Rollout: Sendable, Equatable {
    /// How fast it may go (`max_surge`, `max_unavailable`).
    public struct Pace: Sendable, Equatable {
        public static let defaultMaxSurge = 1
        public static let defaultMaxUnavailable = 0

        public var maxSurge: Int
        public var maxUnavailable: Int

        public init(maxSurge: Int = Pace.defaultMaxSurge, maxUnavailable: Int = Pace.defaultMaxUnavailable) {
            self.maxSurge = maxSurge
            self.maxUnavailable = maxUnavailable
        }

        /// Why these values cannot make progress, if they cannot.
        public var problem: String? {
            if maxSurge < 0 { return "max_surge must not be negative" }
            if maxUnavailable < 0 { return "max_unavailable must not be negative" }
            if maxSurge == 0, maxUnavailable == 0 { return "max_surge and max_unavailable must not both be 0" }
            return nil
        }
    }

    /// Why a rollout ended that a new one replaced (a reload changed the task again).
    public static let superseded = "superseded by a newer rollout"

    public var pace: Pace
    /// Workers of this generation (or a later one) are new.
    public var generation: UInt64
    public var startedAt: Moment
    /// New workers ready, as last reported (at most the cardinality).
    public var replaced = 0
}

/// The pace a restart request asks for: each value nil keeps the task's own.
public struct RolloutPaceOverride: Sendable, Equatable {
    public var maxSurge: Int?
    public var maxUnavailable: Int?

    public init(maxSurge: Int? = nil, maxUnavailable: Int? = nil) {
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
    }

    /// `base` with the values given here.
    public func applied(to base: Rollout.Pace) -> Rollout.Pace {
        Rollout.Pace(maxSurge: maxSurge ?? base.maxSurge, maxUnavailable: maxUnavailable ?? base.maxUnavailable)
    }
}

/// A rollout's state as status shows it.
public enum RolloutState: Sendable, Equatable {
    case running(replaced: Int, total: Int)
    /// Halted: the old workers left keep running until the next rollout or stop.
    case failed(reason: String)
}

/// The answer to `restart`.
public enum RestartOutcome: Sendable, Equatable {
    case started
    case notRunning
    /// A rollout of the task is under way already.
    case alreadyRestarting
    /// The task is paused: its new workers could never get ready.
    case paused
}
