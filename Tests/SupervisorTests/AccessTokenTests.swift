import Foundation
import Testing

@testable import Supervisor

/// The `token` and `http_timeout` keys, `$WPM_TOKEN`, and the rule that a
/// non-loopback listen address needs a token.
@Suite struct AccessTokenTests {
    @Test func defaultsAreNoTokenAndTenSeconds() throws {
        let dir = try TaskDirectory(files: ["a"])
        var config = try dir.parse(#"{"path": "\#(dir.path)"}"#)
        #expect(config.token == nil)
        #expect(config.httpTimeoutMS == 10_000)
        #expect(config.listen == "127.0.0.1")
        try config.applyAccessToken(environment: [:])
        #expect(config.token == nil)
    }

    @Test func tokenAndTimeoutAreRead() throws {
        let dir = try TaskDirectory(files: ["a"])
        let config = try dir.parse(#"{"path": "\#(dir.path)", "token": "s3cr3t-~!", "http_timeout": 2500}"#)
        #expect(config.token == "s3cr3t-~!")
        #expect(config.httpTimeoutMS == 2500)
        #expect(config.warnings.isEmpty)
    }

    @Test(arguments: [
        (#""token": 5"#, "token", "must be a string"),
        (#""token": null"#, "token", "must be a string"),
        (#""token": """#, "token", "must not be empty"),
        (#""token": "two words""#, "token", "must not contain spaces or control characters"),
        (#""token": "tab\there""#, "token", "must not contain spaces or control characters"),
        (#""token": "line\n""#, "token", "must not contain spaces or control characters"),
        (#""token": "caf\u00e9""#, "token", "must be ASCII"),
        (#""http_timeout": 0"#, "http_timeout", "from 1 to 3600000, got 0"),
        (#""http_timeout": 3600001"#, "http_timeout", "got 3600001"),
        (#""http_timeout": "10s""#, "http_timeout", "got a string"),
        (#""http_timeout": 1.5"#, "http_timeout", "got a number"),
    ])
    func badValueIsRefusedNamingTheKey(fragment: String, key: String, problem: String) throws {
        let dir = try TaskDirectory(files: ["GoodTask.sh"])
        let error = try #require(dir.error(#"{"path": "\#(dir.path)", \#(fragment)}"#))
        #expect(error.key == key)
        #expect(error.problem.contains(problem), "\(error.problem)")
        #expect(error.description.hasPrefix("config test.json: \"\(key)\": "))
    }

    @Test func theEnvironmentWinsOverTheConfig() throws {
        let dir = try TaskDirectory(files: ["a"])
        var config = try dir.parse(#"{"path": "\#(dir.path)", "token": "from-config"}"#)
        try config.applyAccessToken(environment: ["WPM_TOKEN": "from-env"])
        #expect(config.token == "from-env")
        config = try dir.parse(#"{"path": "\#(dir.path)", "token": "from-config"}"#)
        try config.applyAccessToken(environment: ["OTHER": "x"])
        #expect(config.token == "from-config")
    }

    @Test(arguments: ["", "a b", "x\u{1}", "é"])
    func aBadEnvironmentTokenIsRefused(value: String) throws {
        let dir = try TaskDirectory(files: ["a"])
        var config = try dir.parse(#"{"path": "\#(dir.path)", "token": "fine"}"#)
        let error = #expect(throws: ConfigError.self) { try config.applyAccessToken(environment: ["WPM_TOKEN": value]) }
        #expect(error?.description.hasPrefix("config test.json: WPM_TOKEN must") == true, "\(String(describing: error))")
    }

    @Test(arguments: ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "fe80::1", "128.0.0.1"])
    func listeningBeyondLoopbackNeedsAToken(listen: String) throws {
        let dir = try TaskDirectory(files: ["a"])
        var config = try dir.parse(#"{"path": "\#(dir.path)", "listen": "\#(listen)"}"#)
        let error = #expect(throws: ConfigError.self) { try config.applyAccessToken(environment: [:]) }
        #expect(error?.problem.contains("would listen on \(listen), which is not a loopback address") == true)
        #expect(error?.problem.contains("\"token\"") == true)
        #expect(error?.problem.contains("WPM_TOKEN") == true)
        // With a token from either place it may.
        try config.applyAccessToken(environment: ["WPM_TOKEN": "t"])
        config = try dir.parse(#"{"path": "\#(dir.path)", "listen": "\#(listen)", "token": "t"}"#)
        try config.applyAccessToken(environment: [:])
    }

    @Test(arguments: ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LocalHost", "::ffff:127.0.0.1"])
    func loopbackNeedsNoToken(listen: String) throws {
        #expect(AccessToken.isLoopback(listen))
        let dir = try TaskDirectory(files: ["a"])
        var config = try dir.parse(#"{"path": "\#(dir.path)", "listen": "\#(listen)"}"#)
        try config.applyAccessToken(environment: [:])
        #expect(config.token == nil)
    }

    @Test func aTokenInAFileOthersCanReadIsWarnedAbout() throws {
        let dir = try TaskDirectory(files: ["a"])
        let file = dir.path + "/config.json"
        _ = FileManager.default.createFile(atPath: file, contents: Data(#"{"path": "\#(dir.path)", "token": "t"}"#.utf8))
        chmod(file, 0o644)
        var config = try ConfigLoader.load(file: file)
        #expect(config.warnings == [
            "config \(file): holds a \"token\" but other users may read it (mode 644): chmod go-r, or give the token in WPM_TOKEN"
        ])
        chmod(file, 0o640)
        #expect(try ConfigLoader.load(file: file).warnings.first?.contains("(mode 640)") == true)
        chmod(file, 0o600)
        config = try ConfigLoader.load(file: file)
        #expect(config.warnings.isEmpty)
        // No token, no warning.
        _ = FileManager.default.createFile(atPath: file, contents: Data(#"{"path": "\#(dir.path)"}"#.utf8))
        chmod(file, 0o644)
        #expect(try ConfigLoader.load(file: file).warnings.isEmpty)
    }
}
