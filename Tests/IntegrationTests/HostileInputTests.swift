import Foundation
import Testing

/// Bad input at the HTTP port, all of it in one run against one manager:
/// garbage bytes, broken and oversized requests, every route with every
/// method and with malformed parameters. Each gets an error answer (or its
/// connection closed), and through all of it the manager keeps serving and
/// its tasks keep their workers. (The config keys are tried wrong in
/// ConfigLoaderTests, hostile keep-alive traffic in KeepAliveTests.)
extension IntegrationSuite {
@Suite struct HostileInputTests {
    /// Writes `bytes` on a fresh connection, ends it, and reads what comes
    /// back until the manager closes it (never a hang). Nil if it could
    /// not connect.
    static func raw(_ port: Int, _ bytes: [UInt8]) async -> String? {
        guard let connection = try? RawConnection(port: port) else { return nil }
        connection.send(bytes: bytes)
        connection.finishSending()
        #expect(await connection.waitUntilClosed(timeout: .seconds(10)), "still open: \(bytes.prefix(60))")
        return connection.text
    }

    /// The status code of a raw answer, if it is an HTTP response.
    static func code(_ answer: String?) -> Int? {
        guard let answer, answer.hasPrefix("HTTP/1.") else { return nil }
        return Int(answer.split(separator: " ").dropFirst().first ?? "")
    }

    @Test func garbageBrokenAndOversizedRequestsGetErrorsAndLoseNothing() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 3}}"#)
        try await withManager(ws, config: config) { m in
            let workers = try await m.waitForWorkers("Work", count: 3)
            let port = m.port
            let garbage: [(String, [UInt8])] = [
                ("binary junk", (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7919) }),
                ("not HTTP", Array("HELLO\r\n\r\n".utf8)),
                ("no version", Array("GET /tasks\r\n\r\n".utf8)),
                ("bad version", Array("GET /tasks HTTP/9.9\r\nHost: x\r\n\r\n".utf8)),
                ("NUL in the path", Array("GET /tasks/Wo\u{0}rk HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
                ("header without colon", Array("GET /tasks HTTP/1.1\r\nHost x\r\n\r\n".utf8)),
                ("huge header", Array("GET /tasks HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 200_000))\r\n\r\n".utf8)),
                ("huge URL", Array("GET /tasks/\(String(repeating: "b", count: 200_000)) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
                ("negative length", Array("POST /tasks/Work/start HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8)),
                ("truncated request", Array("GET /tasks/Wo".utf8)),
                ("bad chunking", Array("POST /tasks/Work/stop HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".utf8)),
            ]
            // A body longer than its Content-Length: the rest is the next
            // request, garbage, and gets its own error.
            let pipelined = await Self.raw(
                port, Array("GET /list HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcdefgh\r\n\r\n".utf8)) ?? ""
            #expect(pipelined.hasPrefix("HTTP/1.1 200") && pipelined.contains("HTTP/1.1 400"), "\(pipelined)")
            for (what, bytes) in garbage {
                let answer = await Self.raw(port, bytes)
                // An error status, or the connection closed without an answer: never a 2xx, never a hang.
                if let code = Self.code(answer) {
                    #expect((400..<600).contains(code), "\(what): \(answer?.prefix(200) ?? "")")
                }
                #expect(try await m.get("/tasks/Work").status == 200, "not serving after \(what)")
            }

            // Malformed parameters on every route that takes one.
            let badPaths = [
                "/tasks/%ZZ", "/tasks/%00", "/tasks/..%2F..%2Fetc", "/tasks/Work/set/cardinality/%FF",
                "/tasks/Work/set/cardinality/1e3", "/tasks/Work/set/cardinality/0x10", "/tasks/Work/set/cardinality/%203",
                "/tasks/Work/set/cardinality/99999999999999999999", "/tasks/Work/set/cardinality/-0",
                "/tasks/Work/set/cardinality/", "/tasks/Work/set//3", "/tasks/Work/list/extra", "/tasks//start",
                "/tasks/Work?format=xml", "/tasks/Work/list?format=", "//tasks", "/TASKS",
            ]
            for path in badPaths {
                let reply = try await m.get(path)
                #expect((400..<500).contains(reply.status) || reply.status == 200, "\(path): \(reply.status)")
                #expect(reply.status != 200 || !path.contains("cardinality"), "\(path) changed something: \(reply.body)")
            }

            // Every route with every method: the ones it does not take get 405
            // (CONNECT, whose target is no path, may be refused outright), none is obeyed.
            let routes = ["/list", "/tasks", "/tasks/Work", "/tasks/Work/start", "/tasks/Work/stop", "/tasks/Work/list",
                          "/tasks/Work/set/cardinality/2"]
            let allowed: [String: Set<String>] = [
                "/list": ["GET"], "/tasks": ["GET", "DELETE"], "/tasks/Work": ["GET", "DELETE"],
                "/tasks/Work/start": ["GET", "PUT", "POST"], "/tasks/Work/stop": ["PUT", "POST"],
                "/tasks/Work/list": ["GET"], "/tasks/Work/set/cardinality/2": ["GET", "PUT", "POST"],
            ]
            for route in routes {
                for method in ["HEAD", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "POST", "PUT", "DELETE"]
                where !(allowed[route]?.contains(method) ?? false) {
                    let answer = await Self.raw(port, Array("\(method) \(route) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
                    let code = Self.code(answer)
                    let refused = method == "CONNECT" && (code == 400 || code == nil)
                    #expect(code == 405 || refused, "\(method) \(route): \(answer?.prefix(120) ?? "")")
                }
            }

            // Through all of it: the same workers, the same size, still answering.
            #expect(try await m.workerPids("Work") == workers)
            let status = try await m.status("Work")
            #expect(status["Active Workers"] == "3 / 3")
            #expect(status["Running"] == "true")
            #expect(m.process.isRunning)
        }
    }
}
}
