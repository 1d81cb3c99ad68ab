/// A configuration that cannot be used. The message names the file and, where
/// there is one, the key (dotted path such as `autotasks.Example.cardinality`).
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let key: String?
    public let problem: String

    public init(file: String, key: String?, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key {
            "config \(file): \"\(key)\": \(problem)"
        } else {
            "config \(file): \(problem)"
        }
    }
}
