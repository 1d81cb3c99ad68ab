import Supervisor

/// What a refusal says, made here and not in the core: `plain` is the JSON
/// form's `error`, `text` the Go-era body line (`ERROR: ` before it, but for
/// "Task NAME not running", which the Go version said as is).
extension ControlError {
    /// The settings `PUT /tasks/NAME/set/SETTING/VALUE` takes.
    static let settable = ["cardinality"]

    var plain: String {
        switch self {
        case .unknownTask(let name):
            "unknown task \(name)"
        case .notRunning(let name):
            "Task \(name) not running"
        case .badValue(let setting, let value, let allowed):
            "invalid \(setting) \"\(value)\": \(allowed)"
        case .cardinalityOutOfRange(let value, let max):
            "invalid cardinality \"\(value)\": \(CardinalityText.allowed(max: max))" + (value > max ? " (max_cardinality)" : "")
        case .restarting(let name):
            "a restart of \(name) is under way already"
        case .paused(let name):
            "task \(name) is paused: resume it first (POST /tasks/\(name)/resume)"
        case .badRequest(let problem):
            problem
        case .badConfig(let error):
            "\(error)"
        case .unknownSetting(let setting):
            "unknown setting \"\(setting)\": the only settable one is " + ControlError.settable.joined(separator: ", ")
        }
    }

    /// Whether the text form begins with `ERROR: `.
    var isGoError: Bool {
        if case .notRunning = self { return false }
        return true
    }
}

/// A cardinality as the URL gives it: decimal digits only, 0 to `max_cardinality`.
enum CardinalityText {
    static func allowed(max: Int) -> String { "must be a whole number from 0 to \(max)" }

    /// The number `text` says, or why it is refused.
    static func parse(_ text: String, max: Int) throws(ControlError) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .badValue(setting: "cardinality", value: text, allowed: allowed(max: max))
        }
        guard let value = Int(text), value <= max else {
            throw .badValue(setting: "cardinality", value: text, allowed: allowed(max: max) + " (max_cardinality)")
        }
        return value
    }
}
