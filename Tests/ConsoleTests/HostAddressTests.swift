import Testing

@testable import wpconsole

@Suite struct HostAddressTests {
    static func parse(_ text: String) throws(HostAddressError) -> HostAddress { try HostAddress(parsing: text) }

    static func error(_ text: String) -> String {
        do {
            return "accepted as \(try HostAddress(parsing: text))"
        } catch {
            return error.reason
        }
    }

    @Test(arguments: [
        ("localhost:8010", "localhost", 8010), ("localhost", "localhost", 8010), ("example.org:80", "example.org", 80),
        ("127.0.0.1:65535", "127.0.0.1", 65535), (":9000", "localhost", 9000), ("my_host-1", "my_host-1", 8010),
        ("[::1]:8011", "::1", 8011), ("[::1]", "::1", 8010), ("::1", "::1", 8010), ("fe80::1:2", "fe80::1:2", 8010),
        ("http://localhost:8000", "localhost", 8000), ("http://localhost:8000/", "localhost", 8000),
        ("HTTP://h/", "h", 8010), ("localhost:1", "localhost", 1),
    ])
    func accepted(text: String, host: String, port: Int) throws {
        #expect(try Self.parse(text) == HostAddress(host: host, port: port))
    }

    @Test func descriptionAndURL() throws {
        #expect(try Self.parse("h:1").description == "h:1")
        #expect(try Self.parse("::1").description == "[::1]:8010")
        #expect(try Self.parse("[::1]:9").url("/list") == "http://[::1]:9/list")
        #expect(HostAddress.default.url("/tasks") == "http://localhost:8010/tasks")
    }

    @Test(arguments: [
        ("", "no host"),
        ("http://", "no host"),
        ("h:", #"no port after ":""#),
        ("h:abc", #"port "abc" is not a number"#),
        ("h:-1", #"port "-1" is not a number"#),
        ("h:0", "port 0 is out of range (1 to 65535)"),
        ("h:65536", "port 65536 is out of range (1 to 65535)"),
        ("h:99999999999999999999999", "port 99999999999999999999999 is out of range (1 to 65535)"),
        ("https://h", "only http:// is supported, not https://"),
        ("ftp://h:21", "only http:// is supported, not ftp://"),
        ("h/path", #""/" is not allowed in a host name"#),
        ("user@h", #""@" is not allowed in a host name"#),
        ("hé", #""é" is not allowed in a host name"#),
        ("[::1", #"missing "]" after the IPv6 address"#),
        ("[::1]x", #"unexpected "x" after "]""#),
        ("[host]:1", #""host" is not an IPv6 address"#),
        ("::g", #""::g" is not an IPv6 address (write [ADDRESS]:PORT)"#),
        ("[::1]:", #"no port after ":""#),
    ])
    func refused(text: String, reason: String) {
        #expect(Self.error(text) == reason)
    }

    @Test func aSpaceInsideOneAddressIsRefused() {
        #expect(Self.error("a b") == "a space is not allowed in a host name")
    }

    @Test func listsSplitOnCommasAndWhitespaceKeepOrderAndDropDuplicates() throws {
        let list = try HostAddress.parseList(" b:2 ,a:1,,b:2\ta ")
        #expect(list == [HostAddress(host: "b", port: 2), HostAddress(host: "a", port: 1), HostAddress(host: "a", port: 8010)])
    }

    @Test(arguments: ["", ",", " , "])
    func emptyListsAreRefused(text: String) {
        #expect(throws: HostAddressError.self) { try HostAddress.parseList(text) }
    }

    @Test func aBadAddressInAListNamesThatAddress() {
        #expect(throws: HostAddressError(address: "b:x", reason: #"port "x" is not a number"#)) {
            try HostAddress.parseList("a:1,b:x")
        }
    }
}
