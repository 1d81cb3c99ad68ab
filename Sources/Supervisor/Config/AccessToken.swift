import FoundationEssentials
import Glibc

/// The bearer token of the HTTP API: where it comes from, what a valid one
/// looks like, and when one is mandatory.
public enum AccessToken {
    /// The environment variable that gives the token; it wins over the config's
    /// `token`. Workers never see it: the spawner removes every `WPM_` variable.
    public static let environmentVariable = "WPM_TOKEN"

    /// Why `token` cannot be used, or nil when it can: it must be printable
    /// ASCII without spaces (it travels in an `Authorization` header).
    static func problem(_ token: String) -> String? {
        if token.isEmpty { return "must not be empty" }
        if token.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "must not contain spaces or control characters"
        }
        if !token.unicodeScalars.allSatisfy(\.isASCII) {
            return "must be ASCII (it is sent in an HTTP header)"
        }
        return nil
    }

    /// Whether `address` (a listen address) reaches this machine only:
    /// 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and the name localhost.
    /// Any other name counts as reachable from elsewhere (it is not resolved).
    public static func isLoopback(_ address: String) -> Bool {
        var host = address
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            let mapped = bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF
            return mapped && bytes[12] == 127
        }
        return false
    }
}

extension ManagerConfig {
    /// Takes the token from `environment` (it wins over the config's) and
    /// refuses to listen beyond loopback without one. Call after the
    /// command line has set `listen`.
    public mutating func applyAccessToken(environment: [String: String]) throws(ConfigError) {
        if let token = environment[AccessToken.environmentVariable] {
            if let problem = AccessToken.problem(token) {
                throw ConfigError(file: file, key: nil, problem: "\(AccessToken.environmentVariable) \(problem)")
            }
            self.token = token
        }
        if token == nil, !AccessToken.isLoopback(listen) {
            throw ConfigError(
                file: file, key: nil,
                problem: "the HTTP API would listen on \(listen), which is not a loopback address, without a token: "
                    + "set \"token\" in the config or \(AccessToken.environmentVariable) in the environment "
                    + "(or listen on 127.0.0.1)")
        }
    }
}
