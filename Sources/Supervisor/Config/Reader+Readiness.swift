/// The readiness keys of an autotask entry: `ready_on` (`"keepalive"`, the
/// default, or `"status"`) and `startup_timeout` (milliseconds from spawn to
/// readiness; by default the task's `stall_timeout`).
extension Reader {
    static let readinessKeys: Set<String> = ["ready_on", "startup_timeout"]

    func readiness(_ entry: [String: JSONValue], to task: inout TaskSpec, prefix: String) throws(ConfigError) {
        if let value = entry["ready_on"] {
            let allowed = ReadyOn.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
            guard case .string(let text) = value, let readyOn = ReadyOn(rawValue: text) else {
                throw fail(prefix + "ready_on", "must be \(allowed), got \(value.typeName) (\(value.shown))")
            }
            task.readyOn = readyOn
        }
        task.startupTimeoutMS =
            try integer(entry["startup_timeout"], prefix + "startup_timeout", in: 1...Int(Int32.max), what: Reader.positiveMS)
            ?? task.startupTimeoutMS
    }
}
