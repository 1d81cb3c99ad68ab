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
    /// Writes `bytes` on a fresh connection and reads what comes back until
    /// the peer closes or `timeout` passes. Nil if it could not connect.
    static func raw(_ port: Int, _ bytes: [UInt8], timeout: Duration = .seconds(5)) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may close early on an oversized request
            sent += n
        }
        shutdown(fd, Int32(SHUT_WR))
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            answer += buffer[0..<n]
        }
        return String(decoding: answer, as: UTF8.self)
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
            let pipelined = Self.raw(
                port, Array("GET /list HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcdefgh\r\n\r\n".utf8)) ?? ""
            #expect(pipelined.hasPrefix("HTTP/1.1 200") && pipelined.contains("HTTP/1.1 400"), "\(pipelined)")
            for (what, bytes) in garbage {
                let answer = Self.raw(port, bytes)
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

            // Every route with every method: the ones it does not take get 405 (or 404), none is obeyed.
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
                    let answer = Self.raw(port, Array("\(method) \(route) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
                    let code = Self.code(answer)
                    #expect(code == 405 || code == 404 || code == 400 || code == nil, "\(method) \(route): \(answer?.prefix(120) ?? "")")
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
