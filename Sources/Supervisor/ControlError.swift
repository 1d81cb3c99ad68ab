/// Why a control request was refused. The API maps each case to a status
/// code in one place; `message` is the body line users see.
public enum ControlError: Error, Sendable, Equatable {
    case unknownTask(String)
    case notRunning(String)
    case badValue(setting: String, value: String, allowed: String)
    case unknownSetting(String)
    /// A rolling restart of the task (or of every task) is under way.
    case restarting(String)
    /// A request the API cannot take: `max_surge`/`max_unavailable` that
    /// cannot make progress, an unknown query parameter.
    case badRequest(String)
    /// A config reload found the file unusable (nothing changed).
    case badConfig(ConfigError)

    /// The settings `set` accepts.
    public static let settable = ["cardinality"]

    public var message: String {
        switch self {
        case .unknownTask(let name):
            "ERROR: unknown task \(name)"
        case .notRunning(let name):
            "Task \(name) not running"
        case .badValue(let setting, let value, let allowed):
            "ERROR: invalid \(setting) \"\(value)\": \(allowed)"
        case .restarting(let name):
            "ERROR: a restart of \(name) is under way already"
        case .badRequest(let problem):
            "ERROR: \(problem)"
        case .badConfig(let error):
            "ERROR: \(error)"
        case .unknownSetting(let setting):
            "ERROR: unknown setting \"\(setting)\": the only settable one is "
                + ControlError.settable.joined(separator: ", ")
        }
    }
}

extension ControlError {
    /// Parses a cardinality given as text: decimal digits only, 0 to `max`.
    public static func parseCardinality(_ text: String, max: Int) throws(ControlError) -> Int {
        let allowed = "must be a whole number from 0 to \(max)"
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .badValue(setting: "cardinality", value: text, allowed: allowed)
        }
        guard let value = Int(text), value <= max else {
            throw .badValue(setting: "cardinality", value: text, allowed: allowed + " (max_cardinality)")
        }
        return value
    }
}
