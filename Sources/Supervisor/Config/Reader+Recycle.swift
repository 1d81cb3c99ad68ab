/// The recycling keys of an autotask entry (see `RecyclePolicy`):
/// `max_lifetime` (ms), `lifetime_jitter` (a fraction, 0 to 1),
/// `max_memory` (bytes, or a string such as `"200MiB"`),
/// `memory_check_interval` (ms) and `max_jobs`.
extension Reader {
    static let recycleKeys: Set<String> = ["max_lifetime", "lifetime_jitter", "max_memory", "memory_check_interval", "max_jobs"]

    func recycle(_ entry: [String: JSONValue], to task: inout TaskSpec, prefix: String) throws(ConfigError) {
        var policy = task.recycle
        let ms = 1...Int(Int32.max)
        policy.maxLifetimeMS = try integer(entry["max_lifetime"], prefix + "max_lifetime", in: ms, what: Reader.positiveMS) ?? policy.maxLifetimeMS
        if let value = entry["lifetime_jitter"] {
            let fraction: Double? =
                switch value {
                case .integer(let n): Double(n)
                case .number(let d): d
                default: nil
                }
            guard let fraction, fraction >= 0, fraction <= 1 else {
                throw fail(prefix + "lifetime_jitter", "must be a fraction from 0 to 1 (0.1: up to 10% shorter), got \(value.typeName) (\(value.shown))")
            }
            guard policy.maxLifetimeMS != nil else {
                throw fail(prefix + "lifetime_jitter", "is given without max_lifetime: set max_lifetime too, or remove it")
            }
            policy.lifetimeJitter = fraction
        }
        if let value = entry["max_memory"] {
            let bytes: Int? =
                switch value {
                case .integer(let n): n >= 1 ? n : nil
                case .string(let text): RecyclePolicy.parseBytes(text)
                default: nil
                }
            guard let bytes else {
                throw fail(
                    prefix + "max_memory",
                    "must be a number of bytes (1 or more) or a size such as \"200MiB\", \"1.5GiB\", \"500MB\", got \(value.typeName) (\(value.shown))")
            }
            policy.maxMemoryBytes = bytes
        }
        if let interval = try integer(
            entry["memory_check_interval"], prefix + "memory_check_interval", in: 100...Int(Int32.max),
            what: "a whole number of milliseconds, 100 or more")
        {
            guard policy.maxMemoryBytes != nil else {
                throw fail(prefix + "memory_check_interval", "is given without max_memory: set max_memory too, or remove it")
            }
            policy.memoryCheckIntervalMS = interval
        }
        policy.maxJobs = try integer(entry["max_jobs"], prefix + "max_jobs", in: 1...Int(Int32.max), what: "a whole number, 1 or more") ?? policy.maxJobs
        task.recycle = policy
    }
}
