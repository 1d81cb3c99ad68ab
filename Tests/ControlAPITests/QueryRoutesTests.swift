import Foundation
import HTTPTypes
import Testing

@testable import Supervisor

/// The probes, the logs route and the events route against a fake
/// supervisor: their query parameters, refusals and both forms of reply
/// (streams are left to IntegrationTests: they last until the client goes).
@Suite struct QueryRoutesTests {
    static let tasks: [String: FakeSupervisor.Task] = [
        "Beta": .init(running: true, cardinality: 1, workers: [20])
    ]

    @Test func healthzSaysWhetherAndHowFastTheSupervisorAnswered() async throws {
        var routes = Routes(Self.tasks, answer: .microseconds(2500))
        var reply = try await routes.get("/healthz")
        #expect(reply.status == .ok)
        #expect(reply.body == "alive: the supervisor answered in 2 ms\n")
        reply = try await routes.json(.get, "/healthz")
        #expect(reply.json["alive"] as? Bool == true)
        #expect(reply.json["answered_ms"] as? Int == 2)
        reply = try await routes.get("/healthz?verbose=1")
        #expect(reply.status == .badRequest)
        #expect(reply.body == "ERROR: unknown parameter \"verbose\" on /healthz (allowed: format)\n")

        routes = Routes(Self.tasks, answer: nil)
        reply = try await routes.get("/healthz")
        #expect(reply.status == .serviceUnavailable)
        #expect(reply.body == "not alive: the supervisor did not answer within 5000 ms\n")
        reply = try await routes.json(.get, "/healthz")
        #expect(reply.json["alive"] as? Bool == false)
    }

    @Test func readyzRefusesUnknownAndEmptyTaskNames() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.get("/readyz")
        #expect(reply.status == .ok)
        #expect(reply.body == "ready: 0 of 0 running tasks ready, 0 workers ready (min_ready 0)\n")
        reply = try await routes.get("/readyz?task=Nope")
        #expect(reply.status == .notFound)
        #expect(reply.body == "ERROR: unknown task Nope\n")
        reply = try await routes.get("/readyz?task=")
        #expect(reply.status == .badRequest)
        #expect(reply.body == "ERROR: empty task name in ?task= (give a task name)\n")
        reply = try await routes.get("/readyz?tasks=Beta")
        #expect(reply.body == "ERROR: unknown parameter \"tasks\" on /readyz (allowed: task, format)\n")
    }

    @Test func logsInBothFormsAndTheirBadParameters() async throws {
        let routes = Routes(Self.tasks)
        routes.supervisor.recentOutput.append(task: "Beta", pid: 20, lines: ["one", "two"].map { Array($0.utf8)[...] })
        var reply = try await routes.get("/tasks/Beta/logs?lines=1")
        #expect(reply.status == .ok)
        let line = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[20\] two\n$"#
        #expect(reply.body.range(of: line, options: .regularExpression) != nil, "\(reply.body)")
        reply = try await routes.json(.get, "/tasks/Beta/logs")
        let lines = reply.json["lines"] as? [[String: Any]] ?? []
        #expect(lines.map { $0["line"] as? String } == ["one", "two"])
        #expect(lines.first?["pid"] as? Int == 20)
        #expect(lines.first?["task"] as? String == "Beta")
        #expect(try await routes.get("/tasks/Beta/logs?lines=0").body == "")

        let max = routes.supervisor.recentOutput.maxLines
        for (query, message) in [
            ("lines=x", "lines must be a whole number from 0 to \(max), got \"x\""),
            ("lines=-1", "lines must be a whole number from 0 to \(max), got \"-1\""),
            ("lines=\(max + 1)", "lines must be a whole number from 0 to \(max), got \"\(max + 1)\""),
            ("follow=2", "follow must be 1 or 0 (true or false), got \"2\""),
            ("tail=1", "unknown parameter \"tail\" on /tasks/NAME/logs (allowed: lines, follow, format)"),
        ] {
            reply = try await routes.get("/tasks/Beta/logs?\(query)")
            #expect(reply.status == .badRequest, "\(query)")
            #expect(reply.body == "ERROR: \(message)\n")
        }
        reply = try await routes.get("/tasks/Nope/logs")
        #expect(reply.status == .notFound)
        #expect(reply.body == "ERROR: unknown task Nope\n")
    }

    @Test func eventsRefuseUnknownTasksAndParametersBeforeTheStream() async throws {
        let routes = Routes(Self.tasks)
        var reply = try await routes.get("/events?task=Nope")
        #expect(reply.status == .notFound)
        #expect(reply.body == "ERROR: unknown task Nope\n")
        reply = try await routes.get("/events?task=")
        #expect(reply.status == .badRequest)
        #expect(reply.body == "ERROR: empty task name in ?task= (give a task name)\n")
        reply = try await routes.json(.get, "/events?since=3")
        #expect(reply.status == .badRequest)
        #expect(reply.json as? [String: String] == ["error": "unknown parameter \"since\" on /events (allowed: task, format)"])
    }
}
