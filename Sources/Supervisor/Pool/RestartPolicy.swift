/// How a task's workers are restarted when they fail quickly: a worker that
/// exits (not asked to) before `minUptimeMS`, or a spawn that fails, is a
/// quick failure; the next spawn waits `initialBackoffMS`, doubled with
/// every further quick failure in a row up to `maxBackoffMS`, each delay
/// jittered by ±20% (so crash-looping pools do not beat in step). A worker
/// that ends on its own with a failure (a non-zero status, a signal) within
/// `backoffResetMS` of its start counts as a quick failure too, even after
/// `minUptimeMS`. A worker started after the last quick failure that lives
/// `stableRunMS` (the longer of the two) is a stable run: the count starts
/// over. The task never gives up: it keeps trying at the capped delay.
public struct RestartPolicy: Sendable, Equatable {
    public static let defaultMinUptimeMS = 1000
    public static let defaultInitialBackoffMS = 1000
    public static let defaultMaxBackoffMS = 60_000
    public static let defaultBackoffResetMS = 60_000
    /// Jitter: each delay is the nominal one times 1 ± this.
    public static let jitter = 0.2

    public var minUptimeMS = RestartPolicy.defaultMinUptimeMS
    public var initialBackoffMS = RestartPolicy.defaultInitialBackoffMS
    public var maxBackoffMS = RestartPolicy.defaultMaxBackoffMS
    /// A failed exit within this long of the worker's start counts toward
    /// the backoff (`backoff_reset`).
    public var backoffResetMS = RestartPolicy.defaultBackoffResetMS

    public init(
        minUptimeMS: Int = RestartPolicy.defaultMinUptimeMS, initialBackoffMS: Int = RestartPolicy.defaultInitialBackoffMS,
        maxBackoffMS: Int = RestartPolicy.defaultMaxBackoffMS, backoffResetMS: Int = RestartPolicy.defaultBackoffResetMS
    ) {
        self.minUptimeMS = minUptimeMS
        self.initialBackoffMS = initialBackoffMS
        self.maxBackoffMS = maxBackoffMS
        self.backoffResetMS = backoffResetMS
    }

    /// How long a worker must run for the count of quick failures to start
    /// over (`min_uptime` 0 turns the backoff off, `backoff_reset` with it).
    public var stableRunMS: Int { minUptimeMS == 0 ? 0 : max(minUptimeMS, backoffResetMS) }

    /// The delay before the next spawn after `failures` quick failures in a
    /// row (1 or more); `unit` in [0, 1) picks the jitter.
    public func delay(afterFailures failures: Int, unit: Double) -> Duration {
        let doublings = min(max(failures - 1, 0), 40)
        let nominal = min(Double(initialBackoffMS) * Double(1 << UInt64(doublings)), Double(maxBackoffMS))
        let jittered = nominal * (1 - Self.jitter + 2 * Self.jitter * unit)
        return .milliseconds(Int64(min(jittered, Double(maxBackoffMS)).rounded()))
    }
}

/// A small seeded generator (SplitMix64) for the backoff jitter: a pool's
/// state machine stays a value, and tests can fix the seed.
public struct JitterSource: Sendable, Equatable {
    private var state: UInt64
    private var fixed: Double?

    public init(seed: UInt64) { state = seed }

    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    /// Always `value` (0.5: no jitter at all), for tests.
    public static func fixed(_ value: Double) -> JitterSource {
        var source = JitterSource(seed: 0)
        source.fixed = value
        return source
    }

    /// A number in [0, 1).
    public mutating func unit() -> Double {
        if let fixed { return fixed }
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
