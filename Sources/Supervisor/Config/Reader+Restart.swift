/// The restart policy keys (see `RestartPolicy`): `min_uptime`,
/// `backoff_initial`, `backoff_max` and `backoff_reset`, at the top level for every task and
/// in an autotask entry for that task.
extension Reader {
    static let restartKeys: Set<String> = ["min_uptime", "backoff_initial", "backoff_max", "backoff_reset"]

    /// `base` with the keys of `object` (named `prefix + key` in messages).
    func restartPolicy(_ object: [String: JSONValue], prefix: String, base: RestartPolicy) throws(ConfigError) -> RestartPolicy {
        var policy = base
        let ms = 0...Int(Int32.max)
        policy.minUptimeMS =
            try integer(object["min_uptime"], prefix + "min_uptime", in: ms, what: "a whole number of milliseconds (0: no backoff)")
            ?? policy.minUptimeMS
        policy.initialBackoffMS =
            try integer(object["backoff_initial"], prefix + "backoff_initial", in: 1...Int(Int32.max), what: Reader.positiveMS)
            ?? policy.initialBackoffMS
        policy.maxBackoffMS =
            try integer(object["backoff_max"], prefix + "backoff_max", in: 1...Int(Int32.max), what: Reader.positiveMS)
            ?? policy.maxBackoffMS
        policy.backoffResetMS =
            try integer(
                object["backoff_reset"], prefix + "backoff_reset", in: ms,
                what: "a whole number of milliseconds (0: only min_uptime counts)")
            ?? policy.backoffResetMS
        guard policy.maxBackoffMS >= policy.initialBackoffMS else {
            let key = object["backoff_max"] != nil ? "backoff_max" : "backoff_initial"
            throw fail(
                prefix + key,
                "backoff_max (\(policy.maxBackoffMS)) must be at least backoff_initial (\(policy.initialBackoffMS))")
        }
        return policy
    }
}
