/// Where the history of entered lines is kept between runs, and how much of
/// it: `~/.wpconsole_history`, 1000 lines. `WPCONSOLE_HISTORY` names another
/// file (empty: keep none); `WPCONSOLE_HISTORY_SIZE` another size (0: keep
/// none).
struct HistorySettings: Equatable, Sendable {
    static let defaultSize = 1000
    static let fileVariable = "WPCONSOLE_HISTORY"
    static let sizeVariable = "WPCONSOLE_HISTORY_SIZE"

    /// The history file; nil when history is not kept between runs.
    let path: String?
    /// Most lines kept, in memory and in the file.
    let size: Int

    init(path: String?, size: Int) {
        self.path = path
        self.size = size
    }

    init(environment: [String: String]) {
        var size = Self.defaultSize
        if let text = environment[Self.sizeVariable], let value = Int(text), value >= 0 {
            size = value
        }
        self.size = size
        if size == 0 {
            path = nil
        } else if let file = environment[Self.fileVariable] {
            path = file.isEmpty ? nil : file
        } else if let home = environment["HOME"], !home.isEmpty {
            path = (home.hasSuffix("/") ? home : home + "/") + ".wpconsole_history"
        } else {
            path = nil
        }
    }
}
