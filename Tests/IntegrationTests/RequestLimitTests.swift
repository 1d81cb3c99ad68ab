import Foundation
import HTTPTypes
import NIOCore
import Testing

/// Oversized requests and clients that are slow on purpose: refused or cut
/// off, while everyone else is still answered.
extension IntegrationSuite {
@Suite struct RequestLimitTests {
    static func config(_ ws: Workspace, timeout: Int = 1000) -> String {
        ws.standardConfig(tasks: ["Work": Scripts.sleeper], extra: ["http_timeout": .int(timeout)])
    }

    @Test func longURIsGet414AndLargeBodies413() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws, timeout: 10_000)) { m in
            // 8192 bytes of request target pass, 8193 do not.
            let fits = "/list?pad=" + String(repeating: "a", count: 8192 - 10)
            #expect(try await m.get(fits).body == "Work\n")
            let long = fits + "a"
            var reply = try await m.get(long)
            #expect(reply.status == 414)
            #expect(reply.body == "ERROR: request target of 8193 bytes is longer than the limit of 8192 bytes\n")
            reply = try await m.json(.get, "/tasks/" + String(repeating: "x", count: 20_000))
            #expect(reply.status == 414)
            #expect((reply.json["error"] as? String)?.hasPrefix("request target of 20007 bytes") == true, "\(reply.body)")

            reply = try await m.request(.post, "/tasks/Work/start", body: ByteBuffer(repeating: 65, count: 65_537))
            #expect(reply.status == 413)
            #expect(reply.body == "ERROR: request body of 65537 bytes is larger than the limit of 65536 bytes\n")
            #expect(try await m.status("Work")["Running"] == "false", "the task was not started")
            reply = try await m.request(.post, "/tasks/Work/start", body: ByteBuffer(repeating: 65, count: 65_536))
            #expect(reply.status == 200, "\(reply.body)")
            _ = try await m.waitForWorkers("Work", count: 1)

            // A chunked body is read up to the limit.
            let chunked = try RawConnection(port: m.port)
            chunked.send("POST /tasks/Work/stop HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<7 { chunked.send(String(10_000, radix: 16) + "\r\n" + String(repeating: "b", count: 10_000) + "\r\n") }
            let answered = await eventually {
                chunked.poll()
                return chunked.text.contains("\r\n\r\n") || chunked.closedByPeer
            }
            #expect(answered)
            #expect(chunked.text.hasPrefix("HTTP/1.1 413"), "\(chunked.text)")
            #expect(chunked.text.contains("larger than the limit of 65536 bytes"))
            // A small chunked body is fine.
            let small = try RawConnection(port: m.port)
            small.send("PUT /tasks/Work/set/cardinality/2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            #expect(await eventually { small.poll(); return small.text.contains("cardinality") })
            #expect(small.text.hasPrefix("HTTP/1.1 200"), "\(small.text)")
            _ = try await m.waitForWorkers("Work", count: 2)
        }
    }

    @Test func idleAndSlowClientsAreCutOffAndOthersStillAnswered() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: Self.config(ws, timeout: 1000)) { m in
            // Many connections that send nothing.
            let idle = try (0..<200).map { _ in try RawConnection(port: m.port) }
            // One that sends its head a byte at a time, one that never ends its body.
            let trickle = try RawConnection(port: m.port)
            let slowBody = try RawConnection(port: m.port)
            slowBody.send("POST /list HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            let head = Array("GET /list HTTP/1.1\r\nHost: x\r\nX-Pad: \(String(repeating: "p", count: 400))\r\n\r\n")
            // Paced (a byte every 100 ms); they are cut off long before they are done.
            let dripHead = Task { [trickle] in
                for byte in head {
                    if Task.isCancelled || !trickle.send(String(byte)) { return }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            let dripBody = Task { [slowBody] in
                for _ in 0..<999 {
                    if Task.isCancelled || !slowBody.send("z") { return }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer {
                dripHead.cancel()
                dripBody.cancel()
            }

            // Everyone else is answered meanwhile, again and again.
            for _ in 0..<5 {
                #expect(try await m.get("/list").body == "Work\n")
            }
            // The idle connections are closed (after http_timeout), and so are the slow ones.
            let allClosed = await eventually {
                idle.forEach { $0.poll() }
                return idle.allSatisfy(\.closedByPeer)
            }
            #expect(allClosed, "\(idle.filter { !$0.closedByPeer }.count) idle connections still open")
            #expect(await trickle.waitUntilClosed(), "a head trickling in is cut off")
            #expect(!trickle.text.contains("200 OK"))
            #expect(await slowBody.waitUntilClosed(), "a body trickling in is cut off")
            // A keep-alive connection that is used in time stays open across requests.
            let busy = try RawConnection(port: m.port)
            for round in 1...3 {
                busy.send("GET /list HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(await eventually { busy.poll(); return busy.text.components(separatedBy: "Work\n").count > round })
            }
            #expect(!busy.closedByPeer)
            #expect(try await m.get("/list").status == 200)
        }
    }
}
}
