import Glibc

/// The two-phase stop keys of an autotask entry (see `DrainSettings`):
/// `drain_signal` (a signal name, with or without SIG) and `drain_timeout`
/// (milliseconds, default 30000; only with `drain_signal`).
extension Reader {
    static let drainKeys: Set<String> = ["drain_signal", "drain_timeout"]

    func drain(_ entry: [String: JSONValue], to task: inout TaskSpec, prefix: String) throws(ConfigError) {
        if let value = entry["drain_signal"] {
            let names = PoolSignal.allowed.map(\.name).filter { $0 != "KILL" }
            guard case .string(let text) = value,
                let number = (try? PoolSignal.parse(text)).flatMap({ $0 == SIGKILL ? nil : $0 })
            else {
                throw fail(
                    prefix + "drain_signal",
                    "must be a signal name (with or without SIG): \(names.joined(separator: ", ")), got \(value.typeName) (\(value.shown))")
            }
            task.drain.signal = number
        }
        if let timeout = try integer(entry["drain_timeout"], prefix + "drain_timeout", in: 1...Int(Int32.max), what: Reader.positiveMS) {
            guard task.drain.signal != nil else {
                throw fail(prefix + "drain_timeout", "is given without drain_signal: set drain_signal too, or remove it")
            }
            task.drain.timeoutMS = timeout
        }
    }
}
