import Foundation
import HTTPTypes
import Testing

/// `GET /tasks/NAME/logs`: every task's last output lines, kept in memory
/// without `log_dir` or `capture_output`, followed as SSE; its refusals; a
/// follower that does not read loses lines, is told, and slows nothing.
extension IntegrationSuite {
@Suite struct LogsRouteTests {
    static let talker = "#!/bin/sh\necho \"hello from $$\"\ni=0\nwhile :; do i=$((i+1)); echo \"line $i\"; sleep 0.2; done\n"

    @Test func theLastLinesAreKeptWithoutLogDirOrCaptureOutputAndFollowed() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Talk": Self.talker, "Quiet": Scripts.sleeper], autotasks: #"{"Talk": {}}"#)
        try await withManager(ws, config: config) { m in
            let pid = try await m.waitForWorkers("Talk", count: 1)[0]
            var reply = try await m.get("/tasks/Talk/logs?lines=3")
            #expect(await eventually { (try? await m.get("/tasks/Talk/logs?lines=3").body.split(separator: "\n").count) == 3 })
            reply = try await m.get("/tasks/Talk/logs?lines=3")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "text/plain; charset=utf-8")
            for line in reply.body.split(separator: "\n") {
                let pattern = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[\#(pid)\] (hello from \#(pid)|line \d+)$"#
                #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
            }
            // All of them from the start (fewer than the default 100 so far), JSON too.
            reply = try await m.json(.get, "/tasks/Talk/logs")
            let lines = reply.json["lines"] as? [[String: Any]] ?? []
            #expect(lines.first?["line"] as? String == "hello from \(pid)", "\(reply.body)")
            #expect(lines.allSatisfy { $0["task"] as? String == "Talk" && $0["pid"] as? Int == Int(pid) && $0["time"] is String })
            #expect(try await m.get("/tasks/Talk/logs?lines=0").body == "")
            #expect(try await m.get("/tasks/Quiet/logs").body == "")
            // The manager's own output got none of it (no capture_output).
            #expect(!m.stdout.text.contains("line 1"))

            // Following: the last 2, then new lines as they come.
            let follow = try await EventWatcher.connect(m, path: "/tasks/Talk/logs", query: "?lines=2&follow=1", greeting: ": wpm logs\n\n")
            defer { follow.stop() }
            #expect(follow.head.lowercased().contains("content-type: text/event-stream"))
            await follow.waitFor("new lines") { $0.count >= 5 }
            let numbers = follow.events.compactMap { ($0["line"] as? String)?.split(separator: " ").last.flatMap { Int($0) } }
            #expect(numbers.count >= 4 && numbers == Array(numbers[0]..<(numbers[0] + numbers.count)), "\(follow.body)")
            #expect(follow.events.allSatisfy { $0["pid"] as? Int == Int(pid) && $0["task"] as? String == "Talk" })

            // The replacement of a killed worker is followed too.
            kill(pid, SIGKILL)
            let next = try await m.waitForWorkers("Talk", count: 1)[0]
            #expect(next != pid)
            await follow.waitFor("the replacement's lines") { $0.contains { $0["line"] as? String == "hello from \(next)" } }
        }
    }

    @Test func badParametersAndUnknownTasksAreRefused() async throws {
        let ws = try Workspace()
        try await withManager(ws, config: ws.standardConfig(tasks: ["Work": Scripts.sleeper])) { m in
            for (query, message) in [
                ("lines=-1", #"lines must be a whole number from 0 to 1000, got "-1""#),
                ("lines=abc", #"lines must be a whole number from 0 to 1000, got "abc""#),
                ("lines=1001", #"lines must be a whole number from 0 to 1000, got "1001""#),
                ("lines=", #"lines must be a whole number from 0 to 1000, got """#),
                ("follow=2", #"follow must be 1 or 0 (true or false), got "2""#),
                ("follow=yes", #"follow must be 1 or 0 (true or false), got "yes""#),
                ("tail=3", #"unknown parameter "tail" on /tasks/NAME/logs (allowed: lines, follow, format)"#),
            ] {
                let reply = try await m.get("/tasks/Work/logs?" + query)
                #expect(reply.status == 400, "\(query)")
                #expect(reply.body == "ERROR: \(message)\n", "\(query)")
                let json = try await m.json(.get, "/tasks/Work/logs?" + query)
                #expect(json.json["error"] as? String == message)
            }
            for path in ["/tasks/Nope/logs", "/tasks/Nope/logs?follow=1"] {
                let reply = try await m.get(path)
                #expect(reply.status == 404)
                #expect(reply.body == "ERROR: unknown task Nope\n")
            }
            let post = try await m.request(.post, "/tasks/Work/logs")
            #expect(post.status == 405)
            #expect(post.headers[.allow] == "GET")
            #expect(try await m.get("/tasks/Work/logs?lines=1000&follow=0").status == 200)
        }
    }

    /// 60000 lines of about 900 bytes (far more than the socket buffers
    /// hold) while the following client is stopped: the worker writes them
    /// all, the manager answers, and the client, resumed, is told of the loss.
    @Test func aFollowerThatDoesNotReadLosesLinesIsToldAndSlowsNothing() async throws {
        let ws = try Workspace()
        let flood = """
            #!/bin/sh
            pad=$(printf '%0900d' 0)
            read go < "$WPMTEST_GO"
            i=0
            while [ $i -lt 60000 ]; do i=$((i+1)); echo "n $i $pad"; done
            echo done
            exec sleep 1000
            """
        let go = ws.path + "/go"
        mkfifo(go, 0o600)
        let config = ws.standardConfig(tasks: ["Flood": flood], autotasks: #"{"Flood": {}}"#)
        try await withManager(ws, config: config, environment: ["WPMTEST_GO": go]) { m in
            _ = try await m.waitForWorkers("Flood", count: 1)
            let follow = try await EventWatcher.connect(m, path: "/tasks/Flood/logs", query: "?follow=1", greeting: ": wpm logs\n\n")
            defer { follow.stop() }
            kill(follow.process.processIdentifier, SIGSTOP)
            defer { kill(follow.process.processIdentifier, SIGCONT) }
            let fifo = open(go, O_WRONLY)
            _ = write(fifo, "go\n", 3)
            close(fifo)
            // The worker is not held up by the stopped reader.
            let finished = await eventually(timeout: .seconds(120), every: .milliseconds(200)) {
                (try? await m.get("/tasks/Flood/logs?lines=1").body.hasSuffix("] done\n")) == true
            }
            #expect(finished, "the worker did not get its 60000 lines out")
            let started = ContinuousClock.now
            #expect(try await m.get("/tasks").status == 200)
            print("measured: GET /tasks with a stopped follower: \(ContinuousClock.now - started)")
            kill(follow.process.processIdentifier, SIGCONT)
            // Every line either came or was counted as lost, the last one
            // (`done`) too, although no line followed it.
            var (got, lost) = (0, 0)
            let accounted = await eventually(timeout: .seconds(60), every: .seconds(1)) {
                guard follow.body.contains(#"{"lines_lost":"#) else { return false }
                let events = follow.events
                lost = events.compactMap { $0["lines_lost"] as? Int }.reduce(0, +)
                got = events.filter { $0["line"] != nil }.count
                return got + lost == 60001
            }
            print("measured: follower stopped during 60001 lines: got \(got), told of \(lost) lost")
            #expect(accounted && lost > 0)
            #expect(got + lost == 60001)
        }
    }

    @Test func theWorkerListInJSONHasCPUAndMemoryOfTheProcessGroup() async throws {
        let ws = try Workspace()
        let burner = "#!/bin/sh\nsleep 1000 &\ni=0\nwhile [ $i -lt 300000 ]; do i=$((i+1)); done\nwait\n"
        let config = ws.standardConfig(tasks: ["Burn": burner], autotasks: #"{"Burn": {}}"#)
        try await withManager(ws, config: config) { m in
            let pid = try await m.waitForWorkers("Burn", count: 1)[0]
            var worker: [String: Any] = [:]
            let burnt = try await eventually(timeout: .seconds(60)) {
                worker = (try await m.json(.get, "/tasks/Burn/list").json["workers"] as? [[String: Any]])?.first ?? [:]
                return (worker["cpu_seconds"] as? Double ?? 0) > 0.05 && ProcessTable.children(of: pid).count == 1
            }
            #expect(burnt, "\(worker)")
            let rss = worker["rss_bytes"] as? Int ?? 0
            // The group: the shell and its sleep, each some hundreds of KiB.
            let members = ProcessTable.pids().filter { ProcessTable.processGroup($0) == pid }
            #expect(members.count == 2)
            let own = Self.rss(of: pid)
            #expect(rss > own && own > 0, "group \(rss), leader \(own)")
            // The text list is the Go version's: no new fields.
            let text = try await m.get("/tasks/Burn/list").body
            #expect(!text.contains("cpu") && !text.contains("rss"))
        }
    }

    static func rss(of pid: pid_t) -> Int {
        guard let fields = ProcessTable.stat(pid), fields.count > 21, let pages = Int(fields[21]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
}
