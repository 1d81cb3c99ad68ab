import Foundation
import HTTPTypes
import Testing

/// The running manager conforms to openapi.yaml: schemathesis (from PyPI,
/// installed by scripts/install-deps.sh for the `python3` on PATH) generates
/// requests for every operation and checks status codes, content types,
/// headers and bodies.
extension IntegrationSuite {
@Suite struct OpenAPITests {
    @Test func theRunningManagerConformsToOpenAPIYAML() async throws {
        let ws = try Workspace()
        // Destructive routes are fair game here: the fuzzer may start, stop
        // and resize these tasks, never past 3 workers each.
        let config = ws.standardConfig(
            tasks: ["Work": Scripts.sleeper, "Idle": Scripts.sleeper], autotasks: #"{"Work": {}}"#, grace: 100,
            extra: ["max_cardinality": 3])
        try await withManager(ws, config: config) { m in
            // Text answers, then JSON ones: schemathesis sends no Accept of its own.
            for accept in ["text/plain", "application/json"] {
                let run = try await Self.schemathesis(against: m, accept: accept)
                let output = run.stdout + run.stderr
                #expect(
                    !output.contains("No module named schemathesis"),
                    "schemathesis is not installed: run scripts/install-deps.sh")
                #expect(run.status == 0, "schemathesis reported a failure (Accept: \(accept)):\n\(output)")
                #expect(output.contains("Coverage"))
            }
            // Still serving after it all.
            #expect(try await m.get("/list").status == 200)
            _ = try await m.request(.delete, "/tasks")
        }
    }

    static func schemathesis(against m: Manager, accept: String) async throws -> CommandResult {
        let arguments = [
            "python3", "-m", "schemathesis.cli", "--config-file", repositoryRoot + "/resources/openapi/schemathesis.toml",
            "run", repositoryRoot + "/openapi.yaml", "--url", "http://\(m.host):\(m.port)", "--header", "Accept: \(accept)",
            // An event stream never ends: EventStreamTests checks it.
            "--exclude-path", "/events",
            // Nor does `follow=1` (a valid value): LogsRouteTests checks this route.
            "--exclude-path", "/tasks/{name}/logs",
            // DELETE stops a task, it does not remove it: no use-after-free checks.
            "--checks", "all", "--exclude-checks", "use_after_free,ensure_resource_availability",
            "--phases", "examples,coverage,fuzzing", "--max-examples", "25", "--seed", "1",
            "--workers", "1", "--request-timeout", "10", "--no-color",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["WPMTEST_TAG"] = m.workspace.tag
        environment["NO_PROXY"] = "*"
        environment["no_proxy"] = "*"
        return try await runCommand(
            "/usr/bin/env", arguments, environment: environment, directory: m.workspace.path, timeout: .seconds(120))
    }

    /// Found by schemathesis: a method no route has (QUERY, TRACE) on a path
    /// that exists is 405 with `Allow`, not 404.
    @Test func anyOtherMethodOnAKnownPathIs405() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: ws.standardConfig(tasks: ["Work": Scripts.sleeper])) { m in
            for (method, path, allowed) in [
                ("QUERY", "/list", "GET"), ("TRACE", "/metrics", "GET"), ("QUERY", "/tasks/Work/start/", "GET, PUT, POST"),
                ("QUERY", "/events", "GET"),
            ] {
                let reply = try await m.request(HTTPRequest.Method(method)!, path)
                #expect(reply.status == 405, "\(method) \(path)")
                #expect(reply.headers[.allow] == allowed)
                #expect(reply.body == "ERROR: method \(method) not allowed on \(path) (allowed: \(allowed))\n")
            }
            #expect(try await m.request(HTTPRequest.Method("QUERY")!, "/nowhere").status == 404)
        }
    }
}
}
