/// Where a manager's HTTP API listens: `HOST[:PORT]`, as `-host=` and `open`
/// take it. The Go console's `http://HOST:PORT/` spelling is accepted too.
struct HostAddress: Hashable, Sendable, CustomStringConvertible {
    static let defaultPort = 8010
    static let `default` = HostAddress(host: "localhost", port: defaultPort)

    /// A host name, an IPv4 address or an IPv6 address (without brackets).
    let host: String
    let port: Int

    var isIPv6: Bool { host.contains(":") }

    /// `host:port`, `[v6]:port` for IPv6.
    var description: String { (isIPv6 ? "[\(host)]" : host) + ":\(port)" }

    /// The URL of `path` (which starts with `/`) on this manager.
    func url(_ path: String) -> String { "http://\(description)\(path)" }
}

/// Why an address was refused; the message names the address.
struct HostAddressError: Error, Equatable, CustomStringConvertible {
    let address: String
    let reason: String
    var description: String { "bad address \"\(address)\": \(reason)" }
}

extension HostAddress {
    /// Parses one address: `host`, `host:port`, `:port` (localhost),
    /// `[v6]`, `[v6]:port`, a bare IPv6 address, each optionally as
    /// `http://ADDRESS/`. The port defaults to 8010.
    init(parsing text: String) throws(HostAddressError) {
        func fail(_ reason: String) -> HostAddressError { HostAddressError(address: text, reason: reason) }
        var rest = Substring(text)
        if let schemeEnd = rest.range(of: "://") {
            let scheme = rest[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" else { throw fail("only http:// is supported, not \(scheme)://") }
            rest = rest[schemeEnd.upperBound...]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty else { throw fail("no host") }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("missing \"]\" after the IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("unexpected \"\(after)\" after \"]\"") }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("\"\(host)\" is not an IPv6 address")
            }
        } else if rest.filter({ $0 == ":" }).count > 1 {
            // A bare IPv6 address: no port can follow without brackets.
            host = rest
            guard host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("\"\(host)\" is not an IPv6 address (write [ADDRESS]:PORT)")
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
            if host.isEmpty { host = "localhost" }
        } else {
            host = rest
        }

        guard !host.isEmpty else { throw fail("no host") }
        if !host.contains(":"), let bad = host.first(where: { !Self.isHostNameCharacter($0) }) {
            throw fail("\(Self.describe(bad)) is not allowed in a host name")
        }
        self.host = String(host)
        self.port = try Self.port(portText, fail)
    }

    private static func isHostNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_")
    }

    private static func describe(_ c: Character) -> String {
        c.isWhitespace ? "a space" : "\"\(c)\""
    }

    private static func port(_ text: Substring?, _ fail: (String) -> HostAddressError) throws(HostAddressError) -> Int {
        guard let text else { return defaultPort }
        guard !text.isEmpty else { throw fail("no port after \":\"") }
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw fail("port \"\(text)\" is not a number") }
        guard let port = Int(text), (1...65535).contains(port) else {
            throw fail("port \(text) is out of range (1 to 65535)")
        }
        return port
    }

    /// Parses a list of addresses separated by commas and/or whitespace
    /// (`a:8010,b:8010`, `a:8010, b:8010`); duplicates are dropped, order kept.
    static func parseList(_ text: String) throws(HostAddressError) -> [HostAddress] {
        let pieces = text.split(whereSeparator: { $0 == "," || $0.isWhitespace })
        guard !pieces.isEmpty else { throw HostAddressError(address: text, reason: "no host") }
        var result: [HostAddress] = []
        for piece in pieces {
            let address = try HostAddress(parsing: String(piece))
            if !result.contains(address) { result.append(address) }
        }
        return result
    }
}
