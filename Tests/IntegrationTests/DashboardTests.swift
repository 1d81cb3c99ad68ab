import Foundation
import HTTPTypes
import Testing

/// The web dashboard: its assets, served without the token, and the page in
/// a real browser (Debian's headless Chromium driven through Selenium by
/// resources/browser/dashboard_check.py) against a real manager.
extension IntegrationSuite {
@Suite struct DashboardTests {
    static let talker = "#!/bin/sh\necho \"hello from $$\"\nexec sleep 1000\n"
    static let token = "dash-T0ken.for~tests"

    @Test func theAssetsAreServedWithoutTheTokenAndNothingElseIs() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], extra: ["token": .string(Self.token)])
        try await withManager(ws, config: config) { m in
            for (path, type) in [
                ("/", "text/html"), ("/ui", "text/html"), ("/ui/", "text/html"), ("/ui/app.js", "text/javascript"),
                ("/ui/app.css", "text/css"), ("/ui/config.json", "application/json"),
            ] {
                let reply = try await m.get(path)
                #expect(reply.status == 200, "\(path)")
                #expect(reply.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                #expect(reply.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true)
                // Built in, small, and nothing from elsewhere.
                #expect(reply.body.utf8.count < 40_000)
                #expect(!reply.body.contains("http://") && !reply.body.contains("https://"), "\(path)")
            }
            let page = try await m.get("/").body
            #expect(page.contains(#"<script src="/ui/app.js" defer></script>"#))
            let config = try await m.get("/ui/config.json").json
            #expect(config["token"] as? Bool == true)
            // The data still needs the token.
            #expect(try await m.get("/list").status == 401)
            #expect(try await m.get("/ui/other").status == 401)
            m.token = Self.token
            #expect(try await m.get("/ui/other").status == 404)
            let post = try await m.request(.post, "/")
            #expect(post.status == 405 && post.headers[.allow] == "GET")
        }
        let open = try Workspace()
        try await withManager(open, config: open.standardConfig(tasks: ["Work": Scripts.sleeper])) { m in
            let config = try await m.get("/ui/config.json").json
            #expect(config["token"] as? Bool == false)
        }
    }

    @Test func thePageListsFollowsAndControlsTheTasksInABrowser() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Work": Self.talker, "Idle": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 2}}"#, grace: 100)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Work", count: 2)
            let screenshot = ws.path + "/dashboard.png"
            let run = try await Self.check(m, ["--task", "Work", "--idle", "Idle", "--screenshot", screenshot])
            #expect(run.status == 0, "dashboard_check.py failed:\n\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("ok: no console errors"), "\(run.stdout)")
            // This manager has POST /tasks/NAME/restart: the page offers it.
            #expect(run.stdout.contains("ok: restart through the page"), "\(run.stdout)")
            #expect(FileManager.default.fileExists(atPath: screenshot))
            print(run.stdout.split(separator: "\n").filter { $0.hasPrefix("measured:") }.joined(separator: "\n"))
            #expect(try await m.json(.get, "/tasks/Work").json["cardinality"] as? Int == 2)
        }
    }

    @Test func theTokenPromptGuardsAManagerWithAToken() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Work": Self.talker], autotasks: #"{"Work": {}}"#, extra: ["token": .string(Self.token)])
        try await withManager(ws, config: config) { m in
            m.token = Self.token
            _ = try await m.waitForWorkers("Work", count: 1)
            let run = try await Self.check(m, ["--task", "Work", "--token", Self.token])
            #expect(run.status == 0, "dashboard_check.py failed:\n\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("ok: without the token only the prompt is shown"))
            #expect(run.stdout.contains("ok: no console errors"))
        }
    }

    @Test func thePageSaysWhenTheManagerIsGoneAndRecoversWhenItIsBack() async throws {
        let ws = try Workspace()
        ws.task("WorkTask.sh", Self.talker)
        var settings = ws.testConfig(autotasks: #"{"Work": {"cardinality": 2}}"#, grace: 100)
        settings.port = try unusedPort()
        let config = ws.config(settings)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Work", count: 2)
            // The script stops this manager and starts the same command again (same port).
            let command = String(decoding: try JSONEncoder().encode([managerBinary, "-conf=\(config)"]), as: UTF8.self)
            let run = try await Self.check(
                m, ["--task", "Work", "--manager-pid", "\(m.pid)", "--restart-command", command])
            #expect(run.status == 0, "dashboard_check.py failed:\n\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("ok: the page says the connection is lost"))
            #expect(run.stdout.contains("ok: the page recovered when the manager came back"))
        }
    }

    /// Runs the browser check; Chromium and chromedriver carry the
    /// workspace's tag, so `finish` fails when either is left running.
    static func check(_ m: Manager, _ arguments: [String]) async throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["WPMTEST_TAG"] = m.workspace.tag
        environment["NO_PROXY"] = "*"
        environment["no_proxy"] = "*"
        let script = repositoryRoot + "/resources/browser/dashboard_check.py"
        let run = try await runCommand(
            "/usr/bin/env", ["python3", script, "--url", "http://\(m.host):\(m.port)"] + arguments,
            environment: environment, directory: m.workspace.path, timeout: .seconds(240))
        #expect(!run.stderr.contains("No module named 'selenium'"), "selenium is not installed: run scripts/install-deps.sh")
        return run
    }
}
}
