/// The `/readyz` keys (see `HealthPolicy`): `min_ready` (a whole number of
/// workers, or a string "N%" of the cardinality, 0 to 100) and `ready_grace`
/// (milliseconds), at the top level for every task and in an autotask entry.
extension Reader {
    static let healthKeys: Set<String> = ["min_ready", "ready_grace"]

    /// `base` with the keys of `object` (named `prefix + key` in messages).
    func healthPolicy(_ object: [String: JSONValue], prefix: String, base: HealthPolicy, maxCardinality: Int)
        throws(ConfigError) -> HealthPolicy
    {
        var policy = base
        if let value = object["min_ready"] {
            policy.minReady = try minReady(value, key: prefix + "min_ready", maxCardinality: maxCardinality)
        }
        policy.readyGraceMS =
            try integer(
                object["ready_grace"], prefix + "ready_grace", in: 0...Int(Int32.max),
                what: "a whole number of milliseconds (0: no backoff allowed)") ?? policy.readyGraceMS
        return policy
    }

    private func minReady(_ value: JSONValue, key: String, maxCardinality: Int) throws(ConfigError) -> HealthPolicy.MinReady {
        let what = "a whole number of workers from 0 to \(maxCardinality) or a percentage such as \"50%\""
        switch value {
        case .integer(let n):
            guard (0...maxCardinality).contains(n) else { throw fail(key, "must be \(what), got \(n)") }
            return .workers(n)
        case .string(let text):
            guard text.hasSuffix("%"), let p = Int(text.dropLast()), text.dropLast().allSatisfy(\.isASCII),
                text.dropLast().allSatisfy(\.isNumber)
            else {
                throw fail(key, "must be \(what), got \"\(text)\"")
            }
            guard (0...100).contains(p) else { throw fail(key, "must be a percentage from 0% to 100%, got \"\(text)\"") }
            return .percent(p)
        default:
            throw fail(key, "must be \(what), got \(value.typeName) (\(value.shown))")
        }
    }
}
