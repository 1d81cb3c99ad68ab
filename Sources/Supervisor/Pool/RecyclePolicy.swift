import FoundationEssentials

/// When a worker is replaced the graceful way (see `PoolStateMachine`'s
/// recycling): after `maxLifetimeMS` (each worker's lifetime shortened by
/// up to `lifetimeJitter` of it, at random, so a pool started together does
/// not recycle together), once its process group's resident memory passes
/// `maxMemoryBytes` (read every `memoryCheckIntervalMS`), or once it has
/// reported `maxJobs` distinct `job` values. Nil: no such limit.
public struct RecyclePolicy: Sendable, Equatable {
    public static let defaultLifetimeJitter = 0.1
    public static let defaultMemoryCheckIntervalMS = 2000

    public var maxLifetimeMS: Int?
    public var lifetimeJitter = RecyclePolicy.defaultLifetimeJitter
    public var maxMemoryBytes: Int?
    public var memoryCheckIntervalMS = RecyclePolicy.defaultMemoryCheckIntervalMS
    public var maxJobs: Int?

    public init() {}

    /// Whether any limit is set.
    public var isEnabled: Bool { maxLifetimeMS != nil || maxMemoryBytes != nil || maxJobs != nil }

    /// The lifetime of a worker, `unit` in [0, 1) picking its jitter.
    func lifetime(unit: Double) -> Duration? {
        guard let maxLifetimeMS else { return nil }
        let ms = (Double(maxLifetimeMS) * (1 - lifetimeJitter * unit)).rounded()
        return .milliseconds(Int64(ms))
    }

    private static let units: [String: Double] = [
        "": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1_048_576, "mib": 1_048_576, "g": 1_073_741_824,
        "gib": 1_073_741_824, "t": 1_099_511_627_776, "tib": 1_099_511_627_776, "kb": 1e3, "mb": 1e6, "gb": 1e9,
        "tb": 1e12,
    ]

    /// `"200MiB"`, `"1.5 GiB"`, `"512k"`, `"1000000"`: a size in bytes (K, M, G
    /// and T with or without `iB` are powers of 1024; `KB`, `MB`, `GB`, `TB`
    /// powers of 1000; `B` or nothing, bytes). Nil when it is not one.
    public static func parseBytes(_ text: String) -> Int? {
        let trimmed = text.drop { $0 == " " }
        let digits = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = String(trimmed.dropFirst(digits.count).filter { $0 != " " }).lowercased()
        guard !digits.isEmpty, let number = Double(digits), number.isFinite, let factor = units[unit] else { return nil }
        let bytes = (number * factor).rounded()
        guard bytes >= 1, bytes < 9e18 else { return nil }
        return Int(bytes)
    }

    /// `209715200` → `200 MiB` (whole units when exact, else MiB with one decimal).
    public static func bytesText(_ bytes: Int) -> String {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (unit, size) in units where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        if bytes >= 1 << 20 {
            let tenths = (bytes * 10 + (1 << 19)) >> 20
            return "\(tenths / 10).\(tenths % 10) MiB"
        }
        return "\(bytes) bytes"
    }
}
