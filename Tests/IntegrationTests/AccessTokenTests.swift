import Foundation
import HTTPTypes
import Testing

/// The bearer token against the real wpmanager: every route needs it, the
/// environment gives it, a non-loopback address needs one, workers never see it.
extension IntegrationSuite {
@Suite struct AccessTokenTests {
    static let token = "s3cret-T0ken_for.tests~"

    static func config(_ ws: Workspace, extra: [String: JSON] = ["token": .string(token)]) -> String {
        ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 1}}"#, extra: extra)
    }

    /// Every route and method the API knows, plus an unknown route and a method not allowed.
    static let routes: [(HTTPRequest.Method, String)] = [
        (.get, "/list"), (.get, "/tasks"), (.delete, "/tasks"), (.get, "/tasks/Work"), (.delete, "/tasks/Work"),
        (.put, "/tasks/Work/stop"), (.post, "/tasks/Work/stop"), (.get, "/tasks/Work/start"), (.put, "/tasks/Work/start"),
        (.post, "/tasks/Work/start"), (.get, "/tasks/Work/list"), (.get, "/tasks/Work/set/cardinality/3"),
        (.put, "/tasks/Work/set/cardinality/3"), (.post, "/tasks/Work/set/cardinality/3"), (.get, "/nope"),
        (.patch, "/list"), (.head, "/list"), (.options, "/tasks"), (.post, "/"), (.get, "/metrics"), (.get, "/events"),
        (.get, "/events?task=Work"), (.get, "/tasks/Work/logs"), (.get, "/tasks/Work/logs?follow=1"), (.get, "/ui/nope"),
    ]

    @Test func everyRouteAnswers401WithoutTheRightToken() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws)) { m in
            m.token = Self.token
            let pids = try await m.waitForWorkers("Work", count: 1)
            let refusals: [(String?, String)] = [
                (nil, "needs a token"),
                ("Bearer wrong", "wrong token"),
                ("Bearer " + Self.token.dropLast(), "wrong token"),
                ("Bearer " + Self.token + "x", "wrong token"),
                ("Bearer " + Self.token.uppercased(), "wrong token"),
                ("Basic " + Self.token, "must be \"Bearer TOKEN\""),
                (Self.token, "must be \"Bearer TOKEN\""),
                ("Bearer", "must be \"Bearer TOKEN\""),
            ]
            m.token = nil
            for (method, path) in Self.routes {
                for (authorization, message) in refusals {
                    var headers: HTTPFields = [.authorization: authorization ?? ""]
                    if authorization == nil { headers = [:] }
                    let text = try await m.request(method, path, headers: headers)
                    #expect(text.status == 401, "\(method) \(path) \(authorization ?? "-")")
                    #expect(text.headers[.wwwAuthenticate]?.hasPrefix("Bearer realm=\"wpmanager\"") == true)
                    if method != .head {
                        #expect(text.body.hasPrefix("ERROR: ") && text.body.contains(message), "\(text.body)")
                    }
                    headers[.accept] = "application/json"
                    let json = try await m.request(method, path, headers: headers)
                    #expect(json.status == 401)
                    if method != .head {
                        #expect((json.json["error"] as? String)?.contains(message) == true, "\(json.body)")
                    }
                }
            }
            m.token = Self.token
            // Nothing was done by any of them.
            #expect(try await m.workerPids("Work") == pids)
            #expect(try await m.status("Work")["Active Workers"] == "1 / 1")

            // With the token: the usual answers.
            #expect(try await m.get("/list").body == "Work\n")
            #expect(try await m.get("/tasks/Work").status == 200)
            #expect(try await m.get("/nope").status == 404)
            #expect(try await m.request(.patch, "/list").status == 405)
            #expect(try await m.get("/metrics").body.contains("# TYPE"))
            let lower = try await m.request(.get, "/list", headers: [.authorization: "bearer \(Self.token)"])
            #expect(lower.status == 200, "the scheme is case-insensitive")
            #expect(try await m.get("/tasks/Work/set/cardinality/2").status == 200)
            _ = try await m.waitForWorkers("Work", count: 2)
        }
    }

    @Test func theEnvironmentTokenWinsAndWorkersNeverSeeIt() async throws {
        let ws = try Workspace()
        let environment = [AccessTokenTests.variable: "from-the-environment"]
        try await withManager(ws, config: Self.config(ws), environment: environment) { m in
            m.token = "from-the-environment"
            let pids = try await m.waitForWorkers("Work", count: 1)
            m.token = Self.token
            #expect(try await m.get("/list").status == 401, "the config's token no longer works")
            m.token = "from-the-environment"
            #expect(try await m.get("/list").status == 200)
            let environ = ProcessTable.environment(pids[0])
            #expect(environ.contains(ws.tag), "the worker's environment is readable")
            #expect(!environ.contains("WPM_TOKEN"))
            #expect(!environ.contains("from-the-environment"))
        }
        // Without a config token at all.
        let plain = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
        try await withManager(ws, config: plain, environment: environment) { m in
            let refused = try await m.get("/list")
            #expect(refused.status == 401)
            m.token = "from-the-environment"
            #expect(try await m.get("/list").body == "Work\n")
        }
    }

    static let variable = "WPM_TOKEN"

    @Test func beyondLoopbackWithoutATokenExits2() async throws {
        let ws = try Workspace()
        let open = ws.standardConfig(tasks: ["Work": Scripts.sleeper], extra: ["listen": "0.0.0.0"])
        let loopback = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
        for (arguments, shown) in [
            (["-conf=\(open)"], "0.0.0.0"), (["-conf=\(loopback)", "--listen", "::"], "::"),
            (["-conf=\(loopback)", "-listen=192.0.2.1"], "192.0.2.1"),
        ] {
            let (status, stderr) = try await runManager(arguments, workspace: ws)
            #expect(status == 2, "\(arguments)")
            #expect(stderr.contains("would listen on \(shown), which is not a loopback address, without a token"), "\(stderr)")
            #expect(stderr.contains("WPM_TOKEN"))
            #expect(!stderr.contains("listening on"))
        }
        // With a token from the environment it starts (on every interface).
        try await withManager(ws, config: open, environment: [Self.variable: "t"]) { m in
            m.host = "127.0.0.1"
            let refused = try await m.get("/list")
            #expect(refused.status == 401)
            m.token = "t"
            #expect(try await m.get("/list").body == "Work\n")
        }
    }

    @Test func badTokensExit2() async throws {
        let ws = try Workspace()
        let cases: [([String: JSON], [String: String], String)] = [
            (["token": ""], [:], #""token": must not be empty"#),
            (["token": "a b"], [:], #""token": must not contain spaces"#),
            (["token": 42], [:], #""token": must be a string"#),
            (["http_timeout": 0], [:], #""http_timeout": must be a whole number of milliseconds"#),
            (["token": "fine"], [Self.variable: ""], "WPM_TOKEN must not be empty"),
            (["token": "fine"], [Self.variable: "tab\there"], "WPM_TOKEN must not contain spaces"),
        ]
        for (extra, environment, expected) in cases {
            let file = ws.standardConfig(tasks: ["Work": Scripts.sleeper], extra: extra)
            let (status, stderr) = try await runManager(["-conf=\(file)"], workspace: ws, environment: environment)
            #expect(status == 2, "\(extra) \(environment)")
            #expect(stderr.contains("wpmanager: config \(file): \(expected)"), "\(stderr)")
        }
    }
}
}
