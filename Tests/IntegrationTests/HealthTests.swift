import Foundation
import HTTPTypes
import Testing

/// `GET /healthz` and `GET /readyz`: the probes Kubernetes, a container
/// engine or a load balancer call, without the token.
extension IntegrationSuite {
    @Suite struct HealthTests {
        static let token = "probe-s3cret"

        /// Keep-alive ports picked by the OS, a token, and stalls far away (the
        /// tests beat for the workers by hand with a `Publisher`).
        static func config(_ ws: Workspace, tasks: [String: String], autotasks: String, extra: [String: JSON] = [:]) -> String {
            for (name, script) in tasks { ws.task(name + "Task.sh", script) }
            return ws.config(ws.testConfig(autotasks: autotasks, stall: 600000, grace: 200, token: token, extra: extra))
        }

        /// A request as a probe sends it: no token unless given.
        func probe(_ m: Manager, _ path: String, token: String? = nil, json: Bool = false, method: HTTPRequest.Method = .get) async throws -> Reply {
            let saved = m.token
            m.token = nil
            defer { m.token = saved }
            var headers: HTTPFields = [:]
            if let token { headers[.authorization] = "Bearer \(token)" }
            if json { headers[.accept] = "application/json" }
            return try await m.request(method, path, headers: headers)
        }

        @Test func probesAnswerWithoutTheTokenAndTellNamesAndReasonsOnlyWithIt() async throws {
            let ws = try Workspace()
            let cfg = Self.config(
                ws, tasks: ["Work": Scripts.sleeper, "Idle": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 2}}"#)
            try await withManager(ws, config: cfg) { m in
                m.token = Self.token
                // Liveness: no token needed, nothing to hide.
                let alive = try await probe(m, "/healthz")
                #expect(alive.status == 200)
                #expect(alive.body.hasPrefix("alive: the supervisor answered in "), "\(alive.body)")
                let aliveJSON = try await probe(m, "/healthz", json: true)
                #expect(aliveJSON.json["alive"] as? Bool == true)
                #expect(aliveJSON.json["answered_ms"] is Int)
                // Every probe of a live manager says so (one in five once said
                // "did not answer within 5000 ms" after 10 ms: a race in Liveness).
                var dead = 0
                for _ in 0..<100 where try await probe(m, "/healthz").status != 200 { dead += 1 }
                #expect(dead == 0, "\(dead) of 100 liveness probes failed")

                // Readiness: no worker has sent a keep-alive yet.
                let pids = try await m.waitForWorkers("Work", count: 2)
                let anonymous = try await probe(m, "/readyz")
                #expect(anonymous.status == 503)
                #expect(anonymous.body == "not ready: 0 of 1 running tasks ready, 0 workers ready (min_ready 2)\n")
                #expect(!anonymous.body.contains("Work"))
                let anonymousJSON = try await probe(m, "/readyz", json: true)
                #expect(anonymousJSON.status == 503)
                #expect(anonymousJSON.json["ready"] as? Bool == false)
                #expect(anonymousJSON.json["tasks_running"] as? Int == 1)
                #expect(anonymousJSON.json["min_ready"] as? Int == 2)
                #expect(anonymousJSON.json["tasks"] == nil, "\(anonymousJSON.body)")
                #expect(!anonymousJSON.body.contains("Work"))

                // With the token: task by task.
                let full = try await probe(m, "/readyz", token: Self.token)
                #expect(full.status == 503)
                #expect(full.body.contains("\nWork: not ready: 0 of 2 workers ready, min_ready is 2\n"), "\(full.body)")
                let fullJSON = try await probe(m, "/readyz", token: Self.token, json: true)
                let tasks = try #require(fullJSON.json["tasks"] as? [[String: Any]])
                #expect(tasks.count == 1)
                #expect(tasks.first?["name"] as? String == "Work")
                #expect(tasks.first?["ready_workers"] as? Int == 0)
                #expect((tasks.first?["reasons"] as? [String])?.first == "0 of 2 workers ready, min_ready is 2")

                // A worker is ready at its first keep-alive.
                let publisher = try Publisher(m.keepAliveEndpoint)
                try publisher.beat("Work", pid: pids[0])
                #expect(try await eventually { try await probe(m, "/readyz").body.contains("1 workers ready") })
                #expect(try await probe(m, "/readyz").status == 503)
                try publisher.beat("Work", pid: pids[1])
                #expect(try await eventually { try await probe(m, "/readyz").status == 200 })
                #expect(try await probe(m, "/readyz").body == "ready: 1 of 1 running tasks ready, 2 workers ready (min_ready 2)\n")
                #expect(
                    try await probe(m, "/readyz", token: Self.token).body.contains("\nWork: ready: 2 of 2 workers ready (min_ready 2)\n"))

                // A third worker wanted: not ready until it has beaten too.
                #expect(try await m.get("/tasks/Work/set/cardinality/3").status == 200)
                #expect(try await eventually { try await probe(m, "/readyz").status == 503 })
                let third = try await m.waitForWorkers("Work", count: 3).first { !pids.contains($0) }
                try publisher.beat("Work", pid: try #require(third))
                #expect(try await eventually { try await probe(m, "/readyz").status == 200 })

                // ?task=: names a task, so only with the token.
                let named = try await probe(m, "/readyz?task=Idle")
                #expect(named.status == 401)
                let idle = try await probe(m, "/readyz?task=Idle", token: Self.token)
                #expect(idle.status == 503)
                #expect(idle.body.hasSuffix("\nIdle: not ready: not running\n"), "\(idle.body)")
                #expect(try await probe(m, "/readyz?task=Work", token: Self.token).status == 200)
                #expect(try await probe(m, "/readyz?task=Work&task=Idle", token: Self.token).status == 503)
                let twice = try await probe(m, "/readyz?task=Work&task=Work", token: Self.token)
                #expect(twice.body == "ready: 1 of 1 running tasks ready, 3 workers ready (min_ready 3)\nWork: ready: 3 of 3 workers ready (min_ready 3)\n")
                let unknown = try await probe(m, "/readyz?task=Nope", token: Self.token)
                #expect(unknown.status == 404)
                #expect(unknown.body == "ERROR: unknown task Nope\n")
                let empty = try await probe(m, "/readyz?task=", token: Self.token)
                #expect(empty.status == 400)
                #expect(empty.body == "ERROR: empty task name in ?task= (give a task name)\n")

                // Wrong input, wrong token, wrong method.
                let bad = try await probe(m, "/readyz?verbose=1")
                #expect(bad.status == 400)
                #expect(bad.body == "ERROR: unknown parameter \"verbose\" on /readyz (allowed: task, format)\n")
                #expect(try await probe(m, "/healthz?task=Work").status == 400)
                for path in ["/healthz", "/readyz"] {
                    let wrong = try await probe(m, path, token: "not-it")
                    #expect(wrong.status == 401)
                    #expect(wrong.body == "ERROR: wrong token\n")
                    let post = try await probe(m, path, method: .post)
                    #expect(post.status == 405)
                    #expect(post.headers[.allow] == "GET")
                }
                #expect(try await probe(m, "/readyz/").status == 200)
                // The probes open nothing else.
                #expect(try await probe(m, "/tasks").status == 401)
                #expect(try await probe(m, "/metrics").status == 401)
            }
        }

        @Test func aTaskInRestartBackoffLongerThanReadyGraceIsNotReadyAndTheMetricsSaySo() async throws {
            let ws = try Workspace()
            let cfg = Self.config(
                ws, tasks: ["Crash": "#!/bin/sh\nexit 3\n", "Work": Scripts.sleeper],
                autotasks: #"{"Crash": {"min_ready": 0, "ready_grace": 1500}, "Work": {"cardinality": 4, "min_ready": "50%"}}"#,
                extra: ["backoff_initial": 200, "backoff_max": 400])
            try await withManager(ws, config: cfg) { m in
                m.token = Self.token
                let pids = try await m.waitForWorkers("Work", count: 4)
                let publisher = try Publisher(m.keepAliveEndpoint)
                for pid in pids.prefix(2) { try publisher.beat("Work", pid: pid) }
                // 2 of 4 is 50%: Work is ready; Crash, once it has crashed for 1.5 s, is not.
                var body = ""
                #expect(
                    try await eventually {
                        body = try await m.get("/readyz").body
                        return body.contains("Crash: not ready: in restart backoff for ")
                    }, "\(body)")
                #expect(body.contains(", longer than ready_grace (1.5 s): last exit status 3"), "\(body)")
                #expect(body.contains("\nWork: ready: 2 of 4 workers ready (min_ready 2)\n"), "\(body)")
                #expect(try await m.get("/readyz").status == 503)
                let json = try await m.json(.get, "/readyz?task=Crash")
                let crash = try #require((json.json["tasks"] as? [[String: Any]])?.first)
                #expect((crash["backoff_seconds"] as? Double ?? 0) > 1.5)
                #expect(crash["min_ready"] as? Int == 0)

                let metrics = MetricsTests.parse(try await m.get("/metrics").body).samples
                #expect(MetricsTests.value(metrics, "wpm_ready") == 0)
                #expect(MetricsTests.value(metrics, "wpm_task_ready", ["task": "Crash"]) == 0)
                #expect(MetricsTests.value(metrics, "wpm_task_ready", ["task": "Work"]) == 1)
                #expect((MetricsTests.value(metrics, "wpm_task_backoff_seconds", ["task": "Crash"]) ?? 0) > 1.5)
                #expect(MetricsTests.value(metrics, "wpm_task_backoff_seconds", ["task": "Work"]) == 0)
                #expect(MetricsTests.value(metrics, "wpm_task_min_ready", ["task": "Work"]) == 2)
                #expect(MetricsTests.value(metrics, "wpm_task_min_ready", ["task": "Crash"]) == 0)

                // Without it, the manager is ready again.
                #expect(try await m.request(.delete, "/tasks/Crash").status == 200)
                #expect(try await eventually { try await m.get("/readyz").status == 200 })
                let after = MetricsTests.parse(try await m.get("/metrics").body).samples
                #expect(MetricsTests.value(after, "wpm_ready") == 1)
                #expect(MetricsTests.value(after, "wpm_task_backoff_seconds", ["task": "Crash"]) == 0)
            }
        }

        @Test func badMinReadyAndReadyGraceAreRefusedAtStart() async throws {
            let ws = try Workspace()
            ws.task("WorkTask.sh", Scripts.sleeper)
            let cases: [(String, String)] = [
                (#""min_ready": "150%""#, #""min_ready": must be a percentage from 0% to 100%, got "150%""#),
                (#""min_ready": -1"#, #""min_ready": must be a whole number of workers from 0 to 10000 or a percentage such as "50%", got -1"#),
                (#""min_ready": "half""#, #""min_ready": must be a whole number of workers from 0 to 10000 or a percentage such as "50%", got "half""#),
                (#""ready_grace": "1s""#, #""ready_grace": must be a whole number of milliseconds (0: no backoff allowed), got a string ("1s")"#),
            ]
            for (key, message) in cases {
                let cfg = ws.config(#"{"port": 0, \#(Scripts.anyPorts), "path": "\#(ws.tasks)", "filesuffix": "Task.sh", \#(key)}"#)
                let result = try await runCommand(managerBinary, ["-conf=\(cfg)"])
                #expect(result.status == 2, "\(key)")
                #expect(result.stderr.contains(message), "\(result.stderr)")
            }
        }
    }
}

