import Foundation
import HTTPTypes
import Testing

@testable import ControlAPI
import Supervisor

/// The rules of the routes (SPEC §4), against a fake supervisor: bodies and
/// status codes of refusals, 404 and 405, percent decoding, text and JSON
/// shapes, bad parameters. What takes real workers is in
/// IntegrationTests/ControlAPITests.
@Suite struct ControlRoutesTests {
    static let tasks: [String: FakeSupervisor.Task] = [
        "Alpha": .init(running: false, cardinality: 1),
        "Beta": .init(running: true, cardinality: 2, workers: [20, 300]),
        "Zoë two": .init(running: false, cardinality: 1),
    ]

    @Test func listAndStatusInTextAndJSON() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.get("/list")
        #expect(reply.status == .ok)
        #expect(reply.body == "Alpha\nBeta\nZoë two\n")
        #expect(reply.headers[.contentType] == "text/plain; charset=utf-8")
        reply = try await routes.json(.get, "/list")
        #expect(reply.headers[.contentType] == "application/json")
        #expect(reply.json["tasks"] as? [String] == ["Alpha", "Beta", "Zoë two"])

        reply = try await routes.get("/tasks")
        #expect(reply.body.hasPrefix("Active Workers:\t2 / 2\n"))
        #expect(reply.body.hasSuffix("Task name:\tBeta\n"))
        reply = try await routes.get("/tasks?format=json")
        let tasks = reply.json["tasks"] as? [[String: Any]] ?? []
        #expect(tasks.map { $0["name"] as? String } == ["Beta"])
        let beta = tasks.first ?? [:]
        #expect(beta["active_workers"] as? Int == 2)
        #expect(beta["running"] as? Bool == true)
        #expect(beta["started_at"] as? String == "2023-11-14T22:13:20Z")
        #expect(beta["keepalives_received"] as? Int == 0)
        // ?format= wins over Accept: anything but json is text.
        reply = try await routes.request(.get, "/list?format=text", headers: [.accept: "application/json"])
        #expect(reply.body == "Alpha\nBeta\nZoë two\n")
    }

    @Test func workerListsInBothForms() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.get("/tasks/Beta/list")
        let lines = reply.body.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("Task: Beta,\tPid: 20,\tStarted: 2023-11-14T22:13:20Z,\tLast alive at: ") == true)
        #expect(lines.first?.hasSuffix(",\tReady: false") == true)
        reply = try await routes.json(.get, "/tasks/Beta/list")
        let workers = reply.json["workers"] as? [[String: Any]] ?? []
        #expect(workers.map { $0["pid"] as? Int } == [20, 300])
        #expect(workers.first?["state"] as? String == "running")
        #expect(workers.first?["task"] as? String == "Beta")
        reply = try await routes.get("/tasks/Alpha/list")
        #expect(reply.status == .conflict)
        #expect(reply.body == "Task Alpha not running\n")
        reply = try await routes.json(.get, "/tasks/Alpha/list")
        #expect(reply.json as? [String: String] == ["error": "Task Alpha not running"])
    }

    @Test func startStopAndTheirMethods() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.get("/tasks/Alpha/start")
        #expect(reply.body == "Started task Alpha\n")
        reply = try await routes.json(.post, "/tasks/Alpha/start")
        #expect(reply.json as? [String: String] == ["task": "Alpha", "result": "already_running", "message": "Already running Alpha"])
        reply = try await routes.request(.put, "/tasks/Alpha/stop")
        #expect(reply.body == "Stopped Alpha workers\n")
        reply = try await routes.request(.post, "/tasks/Alpha/stop")
        #expect(reply.status == .conflict)
        #expect(reply.body == "Task Alpha not running\n")
        reply = try await routes.json(.delete, "/tasks/Beta")
        #expect(reply.json as? [String: String] == ["task": "Beta", "result": "stopped", "message": "Stopped Beta workers"])
        reply = try await routes.request(.delete, "/tasks")
        #expect(reply.body == "no active tasks\n")
        #expect(routes.supervisor.recorded == ["start Alpha", "start Alpha", "stop Alpha", "stop Alpha", "stop Beta", "stop Alpha", "stop Beta", "stop Zoë two"])
    }

    @Test func setCardinalityParsesTheValueAndNamesTheSettingAndTask() async throws {
        let routes = Routes(Self.tasks, maxCardinality: 20)
        for method in [HTTPRequest.Method.get, .put, .post] {
            let reply = try await routes.request(method, "/tasks/Beta/set/cardinality/3")
            #expect(reply.status == .ok)
            #expect(reply.body == "Changed workers cardinality\n")
        }
        var reply = try await routes.json(.get, "/tasks/Beta/set/cardinality/0")
        #expect(reply.json as? [String: String] == ["task": "Beta", "setting": "cardinality", "value": "0", "message": "Changed workers cardinality"])
        let allowed = "must be a whole number from 0 to 20"
        let bad: [(String, String, String)] = [
            ("abc", "abc", allowed), ("1.5", "1.5", allowed), ("-1", "-1", allowed), ("+10", "+10", allowed),
            ("%2B10", "+10", allowed), ("1e3", "1e3", allowed), ("0x10", "0x10", allowed), ("%20", " ", allowed),
            ("21", "21", allowed + " (max_cardinality)"),
            ("99999999999999999999999", "99999999999999999999999", allowed + " (max_cardinality)"),
        ]
        for (value, shown, message) in bad {
            reply = try await routes.get("/tasks/Beta/set/cardinality/\(value)")
            #expect(reply.status == .badRequest, "\(value)")
            #expect(reply.body == "ERROR: invalid cardinality \"\(shown)\": \(message)\n")
            reply = try await routes.json(.get, "/tasks/Beta/set/cardinality/\(value)")
            #expect(reply.json as? [String: String] == ["error": "invalid cardinality \"\(shown)\": \(message)"])
        }
        reply = try await routes.get("/tasks/Beta/set/foo/3")
        #expect(reply.status == .badRequest)
        #expect(reply.body == "ERROR: unknown setting \"foo\": the only settable one is cardinality\n")
        // An unknown task is said first, whatever else is wrong.
        for path in ["/tasks/Nope/set/cardinality/3", "/tasks/Nope/set/foo/3", "/tasks/Nope/set/cardinality/x"] {
            reply = try await routes.get(path)
            #expect(reply.status == .notFound, "\(path)")
            #expect(reply.body == "ERROR: unknown task Nope\n")
        }
        #expect(routes.supervisor.recorded == ["set Beta 3", "set Beta 3", "set Beta 3", "set Beta 0"])
    }

    @Test func aCardinalityTheCoreRefusesIsSaidAsTheParserWould() {
        #expect(
            ControlError.cardinalityOutOfRange(21, max: 20).plain
                == "invalid cardinality \"21\": must be a whole number from 0 to 20 (max_cardinality)")
        #expect(ControlError.cardinalityOutOfRange(-1, max: 20).plain == "invalid cardinality \"-1\": must be a whole number from 0 to 20")
    }

    @Test func unknownTasksAndRoutesAre404() async throws {
        let routes = Routes(Self.tasks)
        for (method, path) in [
            (HTTPRequest.Method.get, "/tasks/Nope"), (.get, "/tasks/Nope/start"), (.post, "/tasks/Nope/start"),
            (.get, "/tasks/Nope/list"), (.delete, "/tasks/Nope"), (.put, "/tasks/Nope/stop"), (.post, "/tasks/Nope/restart"),
        ] {
            let reply = try await routes.request(method, path)
            #expect(reply.status == .notFound, "\(method) \(path)")
            #expect(reply.body == "ERROR: unknown task Nope\n")
        }
        for path in ["/ui/nope", "/nope", "/tasks/Beta/frobnicate", "/tasks/Beta/set/cardinality", "/list/extra", "/tasks/Beta/set/cardinality/"] {
            let reply = try await routes.get(path)
            #expect(reply.status == .notFound, "\(path)")
            #expect(reply.body == "ERROR: no such route: GET \(path)\n")
        }
        let reply = try await routes.json(.get, "/nope")
        #expect(reply.json as? [String: String] == ["error": "no such route: GET /nope"])
    }

    @Test func aKnownPathWithAnotherMethodIs405NamingTheMethods() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.request(.post, "/list")
        #expect(reply.status == .methodNotAllowed)
        #expect(reply.body == "ERROR: method POST not allowed on /list (allowed: GET)\n")
        #expect(reply.headers[.allow] == "GET")
        reply = try await routes.request(.delete, "/tasks/Beta/start")
        #expect(reply.status == .methodNotAllowed)
        #expect(reply.headers[.allow] == "GET, PUT, POST")
        reply = try await routes.request(.patch, "/tasks/Beta/set/cardinality/2")
        #expect(reply.headers[.allow] == "GET, PUT, POST")
        reply = try await routes.request(HTTPRequest.Method("QUERY")!, "/tasks")
        #expect(reply.status == .methodNotAllowed)
        #expect(reply.headers[.allow] == "GET, DELETE")
        reply = try await routes.json(.put, "/list")
        #expect(reply.json as? [String: String] == ["error": "method PUT not allowed on /list (allowed: GET)"])
        // `GET /tasks/restart` is the status of a task named so.
        reply = try await routes.get("/tasks/restart")
        #expect(reply.body == "ERROR: unknown task restart\n")
        #expect(routes.supervisor.recorded.isEmpty)
    }

    @Test func aTrailingSlashIsTolerated() async throws {
        let routes = Routes(Self.tasks)
        #expect(try await routes.get("/list/").body == "Alpha\nBeta\nZoë two\n")
        #expect(try await routes.get("/tasks/Alpha/start/").body == "Started task Alpha\n")
        #expect(try await routes.get("/tasks/Alpha/").body.contains("Running:\ttrue"))
        #expect(try await routes.get("/tasks/Alpha/set/cardinality/2/").body == "Changed workers cardinality\n")
        #expect(try await routes.request(.post, "/tasks/Alpha/stop/").body == "Stopped Alpha workers\n")
        #expect(try await routes.request(.delete, "/tasks/").body == "Stopped Beta workers\n")
    }

    @Test func percentEncodedNamesAreDecodedAndBadEncodingsTakenAsWritten() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.get("/tasks/Zo%C3%AB%20two/start")
        #expect(reply.body == "Started task Zoë two\n")
        reply = try await routes.get("/tasks/Zo%c3%ab%20two")
        #expect(reply.body.contains("Task name:\tZoë two"))
        for raw in ["Zo%C3%AB%2", "Zo%C3%AB%", "Zo%ZZ", "Zo%C3", "%FF"] {
            reply = try await routes.get("/tasks/\(raw)")
            #expect(reply.status == .notFound, "\(raw)")
            #expect(reply.body == "ERROR: unknown task \(raw)\n")
        }
        #expect(ControlRoutes.percentDecoded("a%2Fb") == "a/b")
        #expect(ControlRoutes.percentDecoded("plain") == "plain")
        #expect(ControlRoutes.percentDecoded("%") == nil)
        #expect(ControlRoutes.percentDecoded("%C3") == nil)
    }

    @Test func restartTakesItsPaceFromTheQueryAndRefusesOtherParameters() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.request(.post, "/tasks/Beta/restart?max_surge=2&max_unavailable=0")
        #expect(reply.body == "Restarting Beta workers\n")
        reply = try await routes.json(.put, "/tasks/Beta/restart")
        #expect(reply.json as? [String: String] == ["task": "Beta", "result": "restarting", "message": "Restarting Beta workers"])
        for (query, message) in [
            ("max_surge=-1", "invalid max_surge \"-1\": must be a whole number from 0 to 9999999"),
            ("max_surge=1&max_surge=2", "max_surge given more than once"),
            ("surge=1", "unknown parameter \"surge\" (allowed: max_surge, max_unavailable, format)"),
            ("max_unavailable=12345678", "invalid max_unavailable \"12345678\": must be a whole number from 0 to 9999999"),
        ] {
            reply = try await routes.request(.post, "/tasks/Beta/restart?\(query)")
            #expect(reply.status == .badRequest, "\(query)")
            #expect(reply.body == "ERROR: \(message)\n")
        }
        reply = try await routes.request(.post, "/tasks/Alpha/restart")
        #expect(reply.status == .conflict)
        reply = try await routes.request(.post, "/tasks/restart")
        #expect(reply.body == "Restarting Beta workers, one task after another\n")
        #expect(routes.supervisor.recorded == ["restart Beta 2 0", "restart Beta - -", "restart all"])
    }

    @Test func reloadTakesOnlyDryRunAndFormat() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.request(.post, "/reload?dry_run=1")
        #expect(reply.body == "dry run: nothing was changed; a reload would do this:\n")
        for query in ["dry_run=yes", "dry_run=1&dry_run=0"] {
            reply = try await routes.request(.post, "/reload?\(query)")
            #expect(reply.status == .badRequest, "\(query)")
            #expect(reply.body.hasPrefix("ERROR: invalid dry_run \""))
        }
        reply = try await routes.request(.post, "/reload?force=1")
        #expect(reply.body == "ERROR: unknown parameter \"force\" (allowed: dry_run, format)\n")
    }
}
