/// Why a control request was refused, as typed values: ControlAPI says it
/// (the text and JSON bodies, the status code; `ControlError+Text.swift`).
public enum ControlError: Error, Sendable, Equatable {
    case unknownTask(String)
    case notRunning(String)
    /// A value the API cannot take; `allowed` says which it takes.
    case badValue(setting: String, value: String, allowed: String)
    /// A cardinality below 0 or above `max_cardinality` (`max`).
    case cardinalityOutOfRange(Int, max: Int)
    case unknownSetting(String)
    /// A rolling restart of the task (or of every task) is under way.
    case restarting(String)
    /// The task is paused (a rolling restart waits for its resume).
    case paused(String)
    /// A request the API cannot take: `max_surge`/`max_unavailable` that
    /// cannot make progress, an unknown query parameter.
    case badRequest(String)
    /// A config reload found the file unusable (nothing changed).
    case badConfig(ConfigError)
}
