import FoundationEssentials
import Glibc

/// The launch keys (see `LaunchSettings`), at the top level as the default
/// for every task and in an autotask entry for that task. `env` and
/// `rlimits` are merged name by name over the defaults; every other key
/// replaces the default.
extension Reader {
    static let launchKeys: Set<String> = [
        "env", "clear_env", "env_file", "cwd", "user", "group", "umask", "nice", "oom_score_adj", "rlimits",
        "stop_signal", "pdeathsig",
    ]
    /// Variables the manager sets for every worker: `env` may not name them.
    static let reservedVariables: Set<String> = ["WPM_TASK_NAME", "WPM_KEEPALIVE_ENDPOINT", "WPM_MANAGER"]

    func boolean(_ value: JSONValue?, _ key: String) throws(ConfigError) -> Bool? {
        guard let value else { return nil }
        guard case .bool(let b) = value else { throw fail(key, "must be true or false, got \(value.typeName) (\(value.shown))") }
        return b
    }

    /// `base` with the launch keys of `object` (named `prefix + key` in messages).
    mutating func launchSettings(_ object: [String: JSONValue], prefix: String, base: LaunchSettings) throws(ConfigError)
        -> LaunchSettings
    {
        var settings = base
        if let env = try self.object(object["env"], prefix + "env") {
            for (name, value) in env { settings.env[name] = try variable(name, value, key: prefix + "env") }
        }
        settings.clearEnv = try boolean(object["clear_env"], prefix + "clear_env") ?? settings.clearEnv
        if let file = try nonEmptyString(object["env_file"], prefix + "env_file") {
            settings.envFile = file
            if access(file, R_OK) != 0 {
                warnings.append(
                    "config \(self.file): \"\(prefix)env_file\": \"\(file)\" cannot be read now (\(String(cString: strerror(errno)))): every spawn of the task fails until it can")
            }
        }
        if let cwd = try nonEmptyString(object["cwd"], prefix + "cwd") {
            var info = stat()
            guard stat(cwd, &info) == 0 else {
                throw fail(prefix + "cwd", "\"\(cwd)\" cannot be used: \(String(cString: strerror(errno)))")
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw fail(prefix + "cwd", "\"\(cwd)\" is not a directory") }
            settings.cwd = cwd
        }
        var identityChanged = false
        if let user = object["user"] {
            try requireRoot(prefix + "user")
            settings.user = try resolveUser(user, key: prefix + "user")
            identityChanged = true
        }
        if let group = object["group"] {
            try requireRoot(prefix + "group")
            settings.group = try resolveGroup(group, key: prefix + "group")
            identityChanged = true
        }
        if identityChanged, var user = settings.user {
            user.groups = Self.groupList(of: user.name, primary: settings.group?.gid ?? user.gid)
            settings.user = user
        }
        if let umask = try string(object["umask"], prefix + "umask") {
            guard (1...4).contains(umask.count), umask.allSatisfy({ ("0"..."7").contains($0) }),
                let mask = mode_t(umask, radix: 8), mask <= 0o777
            else {
                throw fail(prefix + "umask", "must be an octal string from \"0000\" to \"0777\", such as \"0027\", got \"\(umask)\"")
            }
            settings.umask = mask
        }
        if let nice = try integer(object["nice"], prefix + "nice", in: -20...19, what: "a whole number from -20 to 19") {
            errno = 0
            let current = Int(getpriority(Int32(PRIO_PROCESS.rawValue), 0))
            if geteuid() != 0, errno == 0, nice < current {
                throw fail(prefix + "nice", "\(nice) is below the manager's own nice value (\(current)): that needs root")
            }
            settings.nice = nice
        }
        settings.oomScoreAdj =
            try integer(object["oom_score_adj"], prefix + "oom_score_adj", in: -1000...1000, what: "a whole number from -1000 to 1000")
            ?? settings.oomScoreAdj
        if let limits = try self.object(object["rlimits"], prefix + "rlimits") {
            for name in limits.keys.sorted() {
                settings.rlimits[name] = try resourceLimit(name, limits[name]!, key: "\(prefix)rlimits.\(name)")
            }
        }
        if let signal = object["stop_signal"] {
            let allowed = StopSignal.allowed.map(\.name).joined(separator: ", ")
            guard case .string(let text) = signal, let number = StopSignal.parse(text) else {
                throw fail(prefix + "stop_signal", "must be one of \(allowed) (with or without SIG), got \(signal.typeName) (\(signal.shown))")
            }
            settings.stopSignal = number
        }
        settings.parentDeathSignal = try boolean(object["pdeathsig"], prefix + "pdeathsig") ?? settings.parentDeathSignal
        return settings
    }

    private func nonEmptyString(_ value: JSONValue?, _ key: String) throws(ConfigError) -> String? {
        guard let text = try string(value, key) else { return nil }
        guard !text.isEmpty else { throw fail(key, "must not be empty") }
        guard !text.utf8.contains(0) else { throw fail(key, "must not contain a NUL character") }
        return text
    }

    /// One `env` entry: a string, or null to remove the variable.
    private func variable(_ name: String, _ value: JSONValue, key: String) throws(ConfigError) -> String? {
        let shown = name.debugDescription
        guard !name.isEmpty else { throw fail(key, "a variable name must not be empty") }
        guard !name.contains("=") else { throw fail(key, "variable name \(shown) must not contain \"=\"") }
        guard !name.utf8.contains(0) else { throw fail(key, "variable name \(shown) must not contain a NUL character") }
        guard !Self.reservedVariables.contains(name) else {
            throw fail(key, "variable \(shown) is set by the manager for every worker")
        }
        switch value {
        case .null: return nil
        case .string(let text):
            guard !text.utf8.contains(0) else { throw fail("\(key).\(name)", "must not contain a NUL character") }
            return text
        default:
            throw fail("\(key).\(name)", "must be a string (or null to remove the variable), got \(value.typeName) (\(value.shown))")
        }
    }

    private func requireRoot(_ key: String) throws(ConfigError) {
        guard geteuid() == 0 else {
            throw fail(key, "can only be set when wpmanager runs as root (it runs as uid \(geteuid()))")
        }
    }

    /// How `user` and `group` name an entry: a name, or a number (an
    /// integer or a string of digits).
    private enum NameOrNumber {
        case name(String)
        case number(UInt32)
    }

    /// `value` as a name or a number; `kind` ("user") and `number` ("uid") word the error.
    private func nameOrNumber(_ value: JSONValue, key: String, kind: String, number: String) throws(ConfigError)
        -> NameOrNumber
    {
        switch value {
        case .string(let name) where !name.isEmpty && name.allSatisfy(\.isNumber) && UInt32(name) != nil:
            return .number(UInt32(name)!)
        case .string(let name) where !name.isEmpty:
            return .name(name)
        case .integer(let id) where id >= 0 && id < Int(UInt32.max):
            return .number(UInt32(id))
        default:
            throw fail(key, "must be a \(kind) name or a \(number), got \(value.typeName) (\(value.shown))")
        }
    }

    /// A name or number from the user database.
    private func resolveUser(_ value: JSONValue, key: String) throws(ConfigError) -> UserIdentity {
        let entry: UnsafeMutablePointer<passwd>?
        let what: String
        switch try nameOrNumber(value, key: key, kind: "user", number: "uid") {
        case .number(let uid): (entry, what) = (getpwuid(uid), "uid \(uid)")
        case .name(let name): (entry, what) = (getpwnam(name), "user \"\(name)\"")
        }
        guard let entry else { throw fail(key, "no \(what) in the user database") }
        return UserIdentity(
            name: String(cString: entry.pointee.pw_name), uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid,
            home: String(cString: entry.pointee.pw_dir), groups: [])
    }

    /// A name or number from the group database.
    private func resolveGroup(_ value: JSONValue, key: String) throws(ConfigError) -> GroupIdentity {
        let entry: UnsafeMutablePointer<group>?
        let what: String
        switch try nameOrNumber(value, key: key, kind: "group", number: "gid") {
        case .number(let gid): (entry, what) = (getgrgid(gid), "gid \(gid)")
        case .name(let name): (entry, what) = (getgrnam(name), "group \"\(name)\"")
        }
        guard let entry else { throw fail(key, "no \(what) in the group database") }
        return GroupIdentity(name: String(cString: entry.pointee.gr_name), gid: entry.pointee.gr_gid)
    }

    /// `primary` first, then every other group `user` is a member of.
    static func groupList(of user: String, primary: gid_t) -> [gid_t] {
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(user, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count) + 16)
            count = Int32(groups.count)
        }
        var seen: Set<gid_t> = [primary]
        return [primary] + groups.prefix(Int(count)).filter { seen.insert($0).inserted }
    }

    /// A number (both limits), "unlimited", or `{"soft": N, "hard": M}`.
    private func resourceLimit(_ name: String, _ value: JSONValue, key: String) throws(ConfigError) -> ResourceLimit {
        guard let resource = ResourceLimit.resource(named: name) else {
            let known = ResourceLimit.resources.map(\.name).joined(separator: ", ")
            throw fail(key, "is not a limit that can be set (known: \(known))")
        }
        let what = "a whole number, \"unlimited\" or {\"soft\": N, \"hard\": M}"
        func amount(_ value: JSONValue, _ key: String) throws(ConfigError) -> rlim_t {
            switch value {
            case .integer(let n) where n >= 0: return rlim_t(n)
            case .string(let s) where s == "unlimited" || s == "infinity": return ResourceLimit.unlimited
            default: throw fail(key, "must be \(what), got \(value.typeName) (\(value.shown))")
            }
        }
        var limit: ResourceLimit
        if case .object(let pair) = value {
            for extra in pair.keys.sorted() where extra != "soft" && extra != "hard" {
                throw fail("\(key).\(extra)", "is not \"soft\" or \"hard\"")
            }
            guard let soft = pair["soft"], let hard = pair["hard"] else {
                throw fail(key, "must have both \"soft\" and \"hard\"")
            }
            limit = ResourceLimit(soft: try amount(soft, key + ".soft"), hard: try amount(hard, key + ".hard"))
        } else {
            let both = try amount(value, key)
            limit = ResourceLimit(soft: both, hard: both)
        }
        guard limit.soft <= limit.hard else {
            throw fail(
                key,
                "the soft limit (\(ResourceLimit.text(limit.soft))) must not be above the hard limit (\(ResourceLimit.text(limit.hard)))")
        }
        var current = rlimit()
        if geteuid() != 0, getrlimit(resource, &current) == 0, limit.hard > current.rlim_max {
            throw fail(
                key,
                "hard limit \(ResourceLimit.text(limit.hard)) is above the manager's own (\(ResourceLimit.text(current.rlim_max))): raising it needs root")
        }
        return limit
    }
}
