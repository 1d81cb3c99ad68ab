import Foundation
import HTTPTypes
import Testing

@testable import ControlAPI
import Supervisor

/// The pool-operation routes against a fake supervisor: what they parse,
/// what they refuse, what they answer (PauseTests, PoolOperationTests and
/// DrainTests have the real workers).
@Suite struct PoolOperationRoutesTests {
    @Test func signalNamesArePassedAsNumbersAndBadOnesRefused() async throws {
        let routes = Routes(ControlRoutesTests.tasks)
        var reply = try await routes.request(.post, "/tasks/Beta/signal/sigusr2")
        #expect(reply.status == .ok)
        #expect(reply.body == "Sent SIGUSR2 to 2 Beta worker(s)\n")
        reply = try await routes.json(.post, "/tasks/Beta/signal/HUP")
        #expect(reply.json["pids"] as? [Int] == [20, 300])
        #expect(routes.supervisor.recorded == ["signal Beta \(SIGUSR2)", "signal Beta \(SIGHUP)"])
        for (path, status, body) in [
            ("/tasks/Beta/signal/STOP", HTTPResponse.Status.badRequest, "use POST /tasks/NAME/pause"),
            ("/tasks/Beta/signal/cont", .badRequest, "use POST /tasks/NAME/resume"),
            ("/tasks/Beta/signal/SIGFOO", .badRequest, "must be a signal name"),
            ("/tasks/Beta/signal/HUP?x=1", .badRequest, "unknown parameter \"x\""),
            ("/tasks/Alpha/signal/HUP", .conflict, "Task Alpha not running"),
            ("/tasks/Nope/signal/HUP", .notFound, "unknown task Nope"),
        ] {
            reply = try await routes.request(.post, path)
            #expect(reply.status == status, "\(path)")
            #expect(reply.body.contains(body), "\(path): \(reply.body)")
        }
        #expect(try await routes.get("/tasks/Beta/signal/HUP").status == .methodNotAllowed)
        #expect(routes.supervisor.recorded.count == 2)
    }

    @Test func pauseResumeAndStartAll() async throws {
        let routes = Routes(ControlRoutesTests.tasks)
        #expect(try await routes.request(.post, "/tasks/Beta/pause").body == "Paused Beta workers\n")
        #expect(try await routes.json(.post, "/tasks/Beta/resume").json["result"] as? String == "resumed")
        #expect(try await routes.request(.post, "/tasks/Alpha/pause").status == .conflict)
        #expect(try await routes.request(.post, "/tasks/Beta/pause?now=1").status == .badRequest)
        #expect(try await routes.request(.put, "/tasks/Beta/resume").status == .methodNotAllowed)
        let started = try await routes.json(.post, "/tasks/start")
        #expect(started.json["started"] as? [String] == ["Alpha", "Zoë two"])
        #expect(try await routes.request(.post, "/tasks/start").body == "no autostart task to start\n")
    }
}
