import Foundation
import HTTPTypes
import Testing

/// The routes of SPEC §4 against the real binary, with real workers. The
/// rules of bodies, status codes, 404 and 405, percent decoding and JSON
/// shapes are unit-tested against a fake supervisor (ControlAPITests,
/// `ControlRoutesTests`); here one case of each shows them through the
/// whole manager.
extension IntegrationSuite {
@Suite struct ControlAPITests {
    @Test func listStatusStartListStop() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Beta": Scripts.sleeper, "Alpha": Scripts.sleeper, "Idle": Scripts.sleeper],
            autotasks: #"{"Beta": {"cardinality": 2}}"#)
        try await withManager(ws, config: config) { m in
            var reply = try await m.get("/list")
            #expect(reply.status == 200)
            #expect(reply.body == "Alpha\nBeta\nIdle\n")
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)

            let beta = try await m.waitForWorkers("Beta", count: 2)
            reply = try await m.get("/tasks")
            #expect(reply.status == 200)
            let lines = reply.body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.count == 12)  // 11 keys and the final newline
            #expect(lines[0] == "Active Workers:\t2 / 2")
            #expect(lines[1] == "Clean Exits:\t0")
            #expect(lines[2] == "Crashed Workers:\t0")
            #expect(lines[3] == "Dead Workers:\t0")
            #expect(lines[4] == "Killed Workers:\t0")
            #expect(lines[5].hasPrefix("Last alive at:\t"))
            #expect(lines[6] == "Ready Workers:\t0 / 2")  // sleepers send no keep-alive
            #expect(lines[7] == "Running:\ttrue")
            #expect(lines[8] == "Stalled Workers:\t0")
            #expect(lines[9].hasPrefix("Started at:\t"))
            #expect(lines[10] == "Task name:\tBeta")
            let started = String(lines[9].dropFirst("Started at:\t".count))
            #expect(started.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)

            reply = try await m.get("/tasks/Alpha/start")
            #expect(reply.status == 200)
            #expect(reply.body == "Started task Alpha\n")
            reply = try await m.request(.post, "/tasks/Alpha/start")
            #expect(reply.body == "Already running Alpha\n")
            #expect(reply.status == 200)
            reply = try await m.request(.put, "/tasks/Alpha/start")
            #expect(reply.body == "Already running Alpha\n")
            let alpha = try await m.waitForWorkers("Alpha", count: 1)

            // Blocks sorted by name, separated by a blank line.
            reply = try await m.get("/tasks")
            let blocks = reply.body.components(separatedBy: "\n\n")
            #expect(blocks.count == 2)
            #expect(blocks[0].hasSuffix("Task name:\tAlpha"))
            #expect(blocks[1].hasSuffix("Task name:\tBeta\n"))

            reply = try await m.get("/tasks/Beta/list")
            #expect(reply.status == 200)
            let workerLines = reply.body.split(separator: "\n").map(String.init)
            #expect(workerLines.count == 2)
            // Sleepers send no keep-alive: not ready.
            let pattern =
                #"^Task: Beta,\tPid: (\d+),\tStarted: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,\tLast alive at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ seconds ago\),\tReady: false$"#
            for line in workerLines {
                #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
            }
            let listed = workerLines.compactMap { line in
                line.split(separator: "\t")[1].split(separator: " ").last.flatMap { pid_t($0.dropLast()) }
            }
            #expect(listed == beta.sorted())  // sorted by pid, numerically

            reply = try await m.request(.delete, "/tasks/Alpha")
            #expect(reply.status == 200)
            #expect(reply.body == "Stopped Alpha workers\n")
            #expect(await eventually { !ProcessTable.isAlive(alpha[0]) })
            reply = try await m.request(.post, "/tasks/Alpha/stop")
            #expect(reply.status == 409)
            #expect(reply.body == "Task Alpha not running\n")
            reply = try await m.request(.put, "/tasks/Beta/stop")
            #expect(reply.status == 200)
            #expect(reply.body == "Stopped Beta workers\n")

            reply = try await m.get("/tasks")
            #expect(reply.body == "no active tasks\n")
            #expect(reply.status == 200)
            reply = try await m.get("/tasks/Alpha")
            #expect(reply.status == 200)
            #expect(reply.body.contains("Running:\tfalse\n"))
            #expect(!reply.body.contains("Started at"))
            #expect(reply.body.contains("Task name:\tAlpha\n"))
            reply = try await m.get("/tasks/Alpha/list")
            #expect(reply.status == 409)
            #expect(reply.body == "Task Alpha not running\n")
            #expect(await eventually { m.liveWorkers().isEmpty })
        }
    }

    @Test func stopAllAndNothingToStop() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["One": Scripts.sleeper, "Two": Scripts.sleeper, "Three": Scripts.sleeper],
            autotasks: #"{"One": {}, "Two": {"cardinality": 3}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Two", count: 3)
            var reply = try await m.request(.delete, "/tasks")
            #expect(reply.status == 200)
            #expect(reply.body == "Stopped One workers\nStopped Two workers\n")
            #expect(await eventually { m.liveWorkers().isEmpty })
            reply = try await m.request(.delete, "/tasks/")
            #expect(reply.status == 200)
            #expect(reply.body == "no active tasks\n")
        }
    }

    @Test func setCardinalityAndItsBadValues() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Good": Scripts.sleeper], autotasks: #"{"Good": {}}"#, extra: ["max_cardinality": 20])
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Good", count: 1)
            for method in [HTTPRequest.Method.get, .put, .post] {
                let reply = try await m.request(method, "/tasks/Good/set/cardinality/2")
                #expect(reply.status == 200)
                #expect(reply.body == "Changed workers cardinality\n")
            }
            _ = try await m.waitForWorkers("Good", count: 2)

            // max_cardinality comes from the config file (every bad value: ControlRoutesTests).
            let allowed = "must be a whole number from 0 to 20"
            for (value, message) in [("abc", allowed), ("21", allowed + " (max_cardinality)")] {
                let reply = try await m.get("/tasks/Good/set/cardinality/\(value)")
                #expect(reply.status == 400, "\(value)")
                #expect(reply.body == "ERROR: invalid cardinality \"\(value)\": \(message)\n")
            }
            var reply = try await m.get("/tasks/Nope/set/cardinality/3")
            #expect(reply.status == 404)
            #expect(reply.body == "ERROR: unknown task Nope\n")
            // Nothing changed through all that.
            #expect(try await m.status("Good")["Active Workers"] == "2 / 2")
            reply = try await m.get("/tasks/Good/set/cardinality/")
            #expect(reply.status == 404)
        }
    }

    @Test func unknownTasksRoutesMethodsAndTrailingSlashes() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Good": Scripts.sleeper])
        try await withManager(ws, config: config) { m in
            // One of each through the whole manager (all of them: ControlRoutesTests).
            var reply = try await m.request(.put, "/tasks/Nope/stop")
            #expect(reply.status == 404)
            #expect(reply.body == "ERROR: unknown task Nope\n")
            reply = try await m.get("/ui/nope")
            #expect(reply.status == 404)
            #expect(reply.body == "ERROR: no such route: GET /ui/nope\n")
            reply = try await m.request(.post, "/list")
            #expect(reply.status == 405)
            #expect(reply.body == "ERROR: method POST not allowed on /list (allowed: GET)\n")
            #expect(reply.headers[.allow] == "GET")

            // A trailing slash is tolerated everywhere.
            reply = try await m.get("/list/")
            #expect(reply.body == "Good\n")
            reply = try await m.get("/tasks/")
            #expect(reply.body == "no active tasks\n")
            reply = try await m.get("/tasks/Good/start/")
            #expect(reply.body == "Started task Good\n")
            reply = try await m.get("/tasks/Good/")
            #expect(reply.body.contains("Running:\ttrue"))
            reply = try await m.get("/tasks/Good/set/cardinality/2/")
            #expect(reply.body == "Changed workers cardinality\n")
            _ = try await m.waitForWorkers("Good", count: 2)
            reply = try await m.get("/tasks/Good/list/")
            #expect(reply.body.split(separator: "\n").count == 2)
            reply = try await m.request(.post, "/tasks/Good/stop/")
            #expect(reply.body == "Stopped Good workers\n")
        }
    }

    @Test func percentEncodedTaskNamesAreDecoded() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Zoë two": Scripts.sleeper])
        try await withManager(ws, config: config) { m in
            var reply = try await m.get("/tasks/Zo%C3%AB%20two/start")
            #expect(reply.status == 200)
            #expect(reply.body == "Started task Zoë two\n")
            reply = try await m.get("/tasks/Zo%c3%ab%20two")
            #expect(reply.body.contains("Task name:\tZoë two"))
            // A real worker of the script "Zoë twoTask.sh".
            _ = try await m.waitForWorkers("Zo%C3%AB%20two", count: 1)
            reply = try await m.request(.delete, "/tasks/Zo%C3%AB%20two")
            #expect(reply.body == "Stopped Zoë two workers\n")
        }
    }

    @Test func jsonForm() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Good": Scripts.sleeper, "Idle": Scripts.sleeper], autotasks: #"{"Good": {}}"#)
        try await withManager(ws, config: config) { m in
            let pids = try await m.waitForWorkers("Good", count: 1)
            var reply = try await m.json(.get, "/list")
            #expect(reply.headers[.contentType] == "application/json")
            #expect(reply.json["tasks"] as? [String] == ["Good", "Idle"])

            reply = try await m.get("/tasks/Good?format=json")
            #expect(reply.headers[.contentType] == "application/json")
            let status = reply.json
            #expect(status["name"] as? String == "Good")
            #expect(status["running"] as? Bool == true)
            #expect(status["active_workers"] as? Int == 1)
            #expect(status["cardinality"] as? Int == 1)
            #expect(status["dead_workers"] as? Int == 0)
            #expect(status["stalled_workers"] as? Int == 0)
            #expect(status["stopping_workers"] as? Int == 0)
            #expect((status["started_at"] as? String)?.hasSuffix("Z") == true)
            #expect(status["last_alive_at"] is String)

            reply = try await m.json(.get, "/tasks")
            #expect((reply.json["tasks"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Good"])

            reply = try await m.json(.get, "/tasks/Good/list")
            let workers = reply.json["workers"] as? [[String: Any]] ?? []
            #expect(workers.count == 1)
            #expect(workers.first?["pid"] as? Int == Int(pids[0]))
            #expect(workers.first?["task"] as? String == "Good")
            #expect(workers.first?["state"] as? String == "running")
            #expect(workers.first?["started_at"] is String)
            #expect(workers.first?["last_alive_at"] is String)

            reply = try await m.json(.get, "/tasks/Idle/start")
            #expect(reply.json["result"] as? String == "started")
            #expect(reply.json["message"] as? String == "Started task Idle")
            reply = try await m.json(.get, "/tasks/Idle/start")
            #expect(reply.json["result"] as? String == "already_running")
            reply = try await m.json(.get, "/tasks/Idle/set/cardinality/2")
            #expect(reply.json["message"] as? String == "Changed workers cardinality")
            reply = try await m.json(.delete, "/tasks/Idle")
            #expect(reply.json["result"] as? String == "stopped")

            // Errors: {"error": ...} with the same codes.
            reply = try await m.json(.get, "/tasks/Nope")
            #expect(reply.status == 404)
            #expect(reply.json as? [String: String] == ["error": "unknown task Nope"])
            reply = try await m.json(.get, "/tasks/Good/set/cardinality/abc")
            #expect(reply.status == 400)
            #expect((reply.json["error"] as? String)?.hasPrefix("invalid cardinality") == true)
            reply = try await m.json(.get, "/tasks/Idle/list")
            #expect(reply.status == 409)
            #expect(reply.json as? [String: String] == ["error": "Task Idle not running"])
            reply = try await m.json(.get, "/nope")
            #expect(reply.status == 404)
            #expect(reply.json["error"] is String)

            reply = try await m.json(.delete, "/tasks")
            #expect(reply.json["stopped"] as? [String] == ["Good"])
            reply = try await m.json(.get, "/tasks")
            #expect((reply.json["tasks"] as? [Any])?.isEmpty == true)
            // ?format=text (anything but json) keeps text even with the header.
            reply = try await m.request(.get, "/tasks?format=text", headers: [.accept: "application/json"])
            #expect(reply.body == "no active tasks\n")
        }
    }
}
}
