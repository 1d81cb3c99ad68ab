import FoundationEssentials
import Glibc

/// The keys of the HTTP API's protection: `token` (the bearer token every
/// request must then carry) and `http_timeout` (how long a connection may
/// stay idle, or a request take to arrive).
extension Reader {
    static let securityKeys: Set<String> = ["token", "http_timeout"]

    func token(_ top: [String: JSONValue]) throws(ConfigError) -> String? {
        guard let token = try string(top["token"], "token") else { return nil }
        if let problem = AccessToken.problem(token) { throw fail("token", problem) }
        return token
    }

    func httpTimeout(_ top: [String: JSONValue]) throws(ConfigError) -> Int? {
        try integer(top["http_timeout"], "http_timeout", in: 1...3_600_000, what: "a whole number of milliseconds from 1 to 3600000")
    }

    /// A warning when `file` holds a token and other users may read it.
    static func exposedTokenWarning(file: String, hasToken: Bool) -> String? {
        var info = stat()
        guard hasToken, stat(file, &info) == 0, info.st_mode & 0o044 != 0 else { return nil }
        let mode = String(info.st_mode & 0o777, radix: 8)
        return "config \(file): holds a \"token\" but other users may read it (mode \(mode)): chmod go-r, or give the token in WPM_TOKEN"
    }
}
