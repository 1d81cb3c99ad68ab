import FoundationEssentials
import Glibc

/// Reads a `wpmanager` JSON config (the Go `workerpoolmanager` format plus
/// extensions), discovers the tasks in `path` and validates every value.
public enum ConfigLoader {
    static let topKeys: Set<String> = Set([
        "port", "listen", "keepalives", "force_timeout", "max_cardinality", "path", "filesuffix", "autotasks",
    ]).union(Reader.workerLogKeys).union(Reader.stateKeys).union(Reader.restartKeys).union(Reader.securityKeys)
        .union(Reader.healthKeys)
        .union(Reader.launchKeys).union(["autostart"])
    static let keepAliveKeys: Set<String> = [
        "host", "inbound_port", "internal_port", "stall_timeout", "grace_period", "startup_timeout",
    ]
    static let autotaskKeys: Set<String> = Set([
        "cardinality", "cmd", "args", "capture_output", "stall_timeout", "grace_period", "autostart",
    ]).union(Reader.restartKeys).union(Reader.readinessKeys).union(Reader.rolloutKeys).union(Reader.healthKeys)
        .union(Reader.launchKeys).union(Reader.drainKeys).union(Reader.recycleKeys)

    /// Loads and validates `file`.
    public static func load(file: String) throws(ConfigError) -> ManagerConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ConfigError(file: file, key: nil, problem: "cannot read the file: \(readProblem(file))")
        }
        var config = try parse(data: data, file: file)
        if let warning = Reader.exposedTokenWarning(file: file, hasToken: config.token != nil) {
            config.warnings.append(warning)
        }
        return config
    }

    /// Validates a config given as bytes; `file` names it in messages and is
    /// the base for nothing (`path` is used as written).
    public static func parse(data: Data, file: String) throws(ConfigError) -> ManagerConfig {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            // The parser reads a number it cannot hold (such as 1e400) this way.
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigError(file: file, key: key, problem: "is a number out of range")
        } catch {
            throw ConfigError(file: file, key: nil, problem: "malformed JSON: \(describe(error))")
        }
        if let key = DuplicateKeys.first(in: Array(data)) {
            throw ConfigError(
                file: file, key: key, problem: "is given twice in the same object: remove one (JSON readers differ on which counts)")
        }
        var reader = Reader(file: file)
        return try reader.read(root)
    }

    private static func readProblem(_ file: String) -> String {
        var info = stat()
        if stat(file, &info) != 0 { return String(cString: strerror(errno)) }
        if (info.st_mode & S_IFMT) == S_IFDIR { return "it is a directory" }
        return "permission denied or unreadable"
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return context.debugDescription
        }
        return String(describing: error)
    }
}

/// One pass over the decoded document, collecting warnings.
struct Reader {
    let file: String
    var warnings: [String] = []

    init(file: String) { self.file = file }

    func fail(_ key: String?, _ problem: String) -> ConfigError {
        ConfigError(file: file, key: key, problem: problem)
    }

    mutating func warnUnknown(_ object: [String: JSONValue], known: Set<String>, prefix: String) {
        for key in object.keys.sorted() where !known.contains(key) {
            warnings.append("config \(file): unknown key \"\(prefix)\(key)\" ignored")
        }
    }

    func integer(_ value: JSONValue?, _ key: String, in range: ClosedRange<Int>, what: String) throws(ConfigError) -> Int? {
        guard let value else { return nil }
        guard case .integer(let n) = value else {
            throw fail(key, "must be \(what), got \(value.typeName) (\(value.shown))")
        }
        guard range.contains(n) else { throw fail(key, "must be \(what), got \(n)") }
        return n
    }

    func string(_ value: JSONValue?, _ key: String) throws(ConfigError) -> String? {
        guard let value else { return nil }
        guard case .string(let s) = value else { throw fail(key, "must be a string, got \(value.typeName) (\(value.shown))") }
        return s
    }

    func object(_ value: JSONValue?, _ key: String) throws(ConfigError) -> [String: JSONValue]? {
        guard let value else { return nil }
        guard case .object(let o) = value else { throw fail(key, "must be an object, got \(value.typeName)") }
        return o
    }

    static let positiveMS = "a positive whole number of milliseconds"
    static let portWhat = "a port number from 1 to 65535 (or 0 to let the OS pick)"

    mutating func read(_ root: JSONValue) throws(ConfigError) -> ManagerConfig {
        guard case .object(let top) = root else {
            throw fail(nil, "the top level must be a JSON object, got \(root.typeName)")
        }
        warnUnknown(top, known: ConfigLoader.topKeys, prefix: "")
        var config = ManagerConfig(file: file)
        config.port = try integer(top["port"], "port", in: 0...65535, what: Self.portWhat) ?? config.port
        if let listen = try string(top["listen"], "listen") {
            guard !listen.isEmpty, !listen.contains(where: \.isWhitespace) else {
                throw fail("listen", "must be an IP address or host name, got \"\(listen)\"")
            }
            config.listen = listen
        }
        if let ka = try object(top["keepalives"], "keepalives") {
            warnUnknown(ka, known: ConfigLoader.keepAliveKeys, prefix: "keepalives.")
            if let host = try string(ka["host"], "keepalives.host") {
                guard !host.isEmpty else { throw fail("keepalives.host", "must not be empty") }
                config.keepalives.host = host
            }
            let ports = 0...65535
            config.keepalives.inboundPort =
                try integer(ka["inbound_port"], "keepalives.inbound_port", in: ports, what: Self.portWhat)
                ?? config.keepalives.inboundPort
            config.keepalives.internalPort =
                try integer(ka["internal_port"], "keepalives.internal_port", in: ports, what: Self.portWhat)
                ?? config.keepalives.internalPort
            config.keepalives.stallTimeoutMS =
                try integer(ka["stall_timeout"], "keepalives.stall_timeout", in: 1...Int(Int32.max), what: Self.positiveMS)
                ?? config.keepalives.stallTimeoutMS
            config.keepalives.gracePeriodMS =
                try integer(ka["grace_period"], "keepalives.grace_period", in: 1...Int(Int32.max), what: Self.positiveMS)
                ?? config.keepalives.gracePeriodMS
            config.keepalives.startupTimeoutMS = try integer(
                ka["startup_timeout"], "keepalives.startup_timeout", in: 1...Int(Int32.max), what: Self.positiveMS)
            if config.keepalives.inboundPort != 0, config.keepalives.inboundPort == config.keepalives.internalPort {
                throw fail("keepalives.internal_port", "must differ from keepalives.inbound_port (\(config.keepalives.inboundPort))")
            }
        }
        config.forceTimeoutMS =
            try integer(top["force_timeout"], "force_timeout", in: 1...Int(Int32.max), what: Self.positiveMS)
            ?? config.forceTimeoutMS
        config.maxCardinality =
            try integer(top["max_cardinality"], "max_cardinality", in: 1...1_000_000, what: "a whole number from 1 to 1000000")
            ?? config.maxCardinality

        guard let path = try string(top["path"], "path") else {
            throw fail("path", "is missing: it must name the directory that holds the task executables")
        }
        guard !path.isEmpty else { throw fail("path", "must not be empty") }
        config.path = path
        config.fileSuffix = try string(top["filesuffix"], "filesuffix") ?? ""

        config.restart = try restartPolicy(top, prefix: "", base: config.restart)
        let launch = try launchSettings(top, prefix: "", base: LaunchSettings())
        let autostart = try boolean(top["autostart"], "autostart") ?? true
        var tasks = try discover(path: path, suffix: config.fileSuffix, defaults: config.keepalives)
        config.health = try healthPolicy(top, prefix: "", base: config.health, maxCardinality: config.maxCardinality)
        for index in tasks.indices {
            tasks[index].restart = config.restart
            tasks[index].health = config.health
            tasks[index].launch = launch
        }
        if let autotasks = try object(top["autotasks"], "autotasks") {
            for name in autotasks.keys.sorted() {
                let key = "autotasks.\(name)"
                guard let index = tasks.firstIndex(where: { $0.name == name }) else {
                    throw fail(key, "names no task: no file \"\(name)\(config.fileSuffix)\" in \(path)")
                }
                guard let entry = try object(autotasks[name], key) else { continue }
                try apply(
                    entry, to: &tasks[index], key: key, path: path, maxCardinality: config.maxCardinality,
                    autostart: autostart)
            }
        }
        config.tasks = tasks
        config.workerLogs = try workerLogs(top)
        config.stateFile = try stateFile(top)
        config.token = try token(top)
        config.httpTimeoutMS = try httpTimeout(top) ?? config.httpTimeoutMS
        config.warnings = warnings
        return config
    }

    mutating func apply(
        _ entry: [String: JSONValue], to task: inout TaskSpec, key: String, path: String, maxCardinality: Int,
        autostart: Bool = true
    ) throws(ConfigError) {
        warnUnknown(entry, known: ConfigLoader.autotaskKeys, prefix: "\(key).")
        task.autostart = try boolean(entry["autostart"], "\(key).autostart") ?? autostart
        task.cardinality =
            try integer(
                entry["cardinality"], "\(key).cardinality", in: 1...maxCardinality,
                what: "a whole number from 1 to \(maxCardinality) (max_cardinality)") ?? task.cardinality
        if let cmd = try string(entry["cmd"], "\(key).cmd") {
            guard !cmd.isEmpty else { throw fail("\(key).cmd", "must not be empty") }
            task.command = cmd.hasPrefix("/") ? cmd : Reader.join(path, cmd)
        }
        if let args = entry["args"] {
            guard case .array(let items) = args else {
                throw fail("\(key).args", "must be an array of strings, got \(args.typeName)")
            }
            task.args = try items.enumerated().map { (i, item) throws(ConfigError) -> String in
                guard case .string(let s) = item else {
                    throw fail("\(key).args[\(i)]", "must be a string, got \(item.typeName) (\(item.shown))")
                }
                return s
            }
        }
        if let capture = entry["capture_output"] {
            guard case .bool(let b) = capture else {
                throw fail("\(key).capture_output", "must be true or false, got \(capture.typeName) (\(capture.shown))")
            }
            task.captureOutput = b
        }
        task.stallTimeoutMS =
            try integer(entry["stall_timeout"], "\(key).stall_timeout", in: 1...Int(Int32.max), what: Reader.positiveMS)
            ?? task.stallTimeoutMS
        task.gracePeriodMS =
            try integer(entry["grace_period"], "\(key).grace_period", in: 1...Int(Int32.max), what: Reader.positiveMS)
            ?? task.gracePeriodMS
        task.restart = try restartPolicy(entry, prefix: "\(key).", base: task.restart)
        try readiness(entry, to: &task, prefix: "\(key).")
        try rolloutPace(entry, to: &task, prefix: "\(key).", maxCardinality: maxCardinality)
        try drain(entry, to: &task, prefix: "\(key).")
        try recycle(entry, to: &task, prefix: "\(key).")
        task.health = try healthPolicy(entry, prefix: "\(key).", base: task.health, maxCardinality: maxCardinality)
        task.launch = try launchSettings(entry, prefix: "\(key).", base: task.launch)
    }

    /// Every regular file (or link to one) directly in `path` whose name ends
    /// in `suffix` and does not start with a dot.
    func discover(path: String, suffix: String, defaults: KeepAliveConfig) throws(ConfigError) -> [TaskSpec] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw fail("path", "\"\(path)\" cannot be used: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw fail("path", "\"\(path)\" is not a directory") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw fail("path", "\"\(path)\" cannot be listed: \(systemErrorText(error))")
        }
        var tasks: [TaskSpec] = []
        for file in names.sorted() where !file.hasPrefix(".") && file.hasSuffix(suffix) && file.count > suffix.count {
            let full = Reader.join(path, file)
            var fileInfo = stat()
            guard stat(full, &fileInfo) == 0, (fileInfo.st_mode & S_IFMT) == S_IFREG else { continue }
            tasks.append(
                TaskSpec(
                    name: String(file.dropLast(suffix.count)), command: full,
                    stallTimeoutMS: defaults.stallTimeoutMS, gracePeriodMS: defaults.gracePeriodMS))
            tasks[tasks.count - 1].startupTimeoutMS = defaults.startupTimeoutMS
        }
        return tasks
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
