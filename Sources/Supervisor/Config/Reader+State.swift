import FoundationEssentials
import Glibc

/// The `state_file` key: where run-time changes (cardinality, started and
/// stopped tasks) are kept across restarts. By default beside the config:
/// `NAME.json` keeps its state in `NAME.state.json`.
extension Reader {
    static let stateKeys: Set<String> = ["state_file"]

    static func defaultStateFile(for config: String) -> String {
        let base = config.hasSuffix(".json") ? String(config.dropLast(5)) : config
        return base + ".state.json"
    }

    func stateFile(_ top: [String: JSONValue]) throws(ConfigError) -> String {
        guard let path = try string(top["state_file"], "state_file") else { return Self.defaultStateFile(for: file) }
        guard !path.isEmpty else { throw fail("state_file", "must not be empty") }
        var directory = directoryPart(of: path)
        if directory.isEmpty { directory = "." }
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw fail("state_file", "\"\(path)\": its directory \"\(directory)\" does not exist")
        }
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw fail("state_file", "\"\(path)\" is a directory")
        }
        return path
    }
}
