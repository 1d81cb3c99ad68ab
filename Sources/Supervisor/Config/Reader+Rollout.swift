/// The rolling restart keys of an autotask entry: `max_surge` (default 1)
/// and `max_unavailable` (default 0), not both 0.
extension Reader {
    static let rolloutKeys: Set<String> = ["max_surge", "max_unavailable"]

    func rolloutPace(_ entry: [String: JSONValue], to task: inout TaskSpec, prefix: String, maxCardinality: Int) throws(ConfigError) {
        let what = "a whole number from 0 to \(maxCardinality) (max_cardinality)"
        var pace = task.rolloutPace
        pace.maxSurge = try integer(entry["max_surge"], prefix + "max_surge", in: 0...maxCardinality, what: what) ?? pace.maxSurge
        pace.maxUnavailable =
            try integer(entry["max_unavailable"], prefix + "max_unavailable", in: 0...maxCardinality, what: what)
            ?? pace.maxUnavailable
        if let problem = pace.problem {
            throw fail(prefix + (entry["max_surge"] != nil ? "max_surge" : "max_unavailable"), problem)
        }
        task.rolloutPace = pace
    }
}
