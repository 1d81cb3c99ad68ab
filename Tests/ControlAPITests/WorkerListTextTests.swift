import FoundationEssentials
import NIOCore
@testable import Supervisor
import Testing

@testable import ControlAPI

/// The worker list's text, written byte by byte (`WorkerListText`), is the
/// text the line-by-line formatter wrote before, for every kind of worker.
@Suite struct WorkerListTextTests {
    /// How each line was written before (interpolated strings).
    static func reference(_ w: WorkerStatus, now: Date) -> String {
        let time = RFC3339Time.format
        let oneLine = TextFormat.oneLine
        let ago = max(0, Int(now.timeIntervalSince(w.lastAliveAt)))
        var line =
            "Task: \(w.task),\tPid: \(w.pid),\tStarted: \(time(w.startedAt)),\tLast alive at: \(time(w.lastAliveAt)) (\(ago) seconds ago)"
        if w.state != "running" { line += ",\tState: \(w.state)" }
        if let reason = w.stopReason { line += ",\tStop reason: \(oneLine(reason))" }
        if !w.ready { line += ",\tReady: false" }
        if let status = w.status { line += ",\tStatus: \(status)" }
        if let job = w.job { line += ",\tJob: \(oneLine(job))" }
        if let message = w.message { line += ",\tMessage: \(oneLine(message))" }
        return line + "\n"
    }

    static func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    @Test func writesWhatTheLineFormatterWrote() {
        let now = Date(timeIntervalSince1970: 1_795_000_000.25)
        let texts: [String?] = [nil, "plain", "two\nlines", "tab\there", "crlf\r\nend", "ünïcødé ✓", "sep\u{2028}x", "nel\u{85}y", ""]
        var workers: [WorkerStatus] = []
        var generator = SystemRandomNumberGenerator()
        for index in 0..<500 {
            let started = now.addingTimeInterval(-Double.random(in: 0..<200_000, using: &generator))
            // Some beat after `now` (a clock step): "0 seconds ago".
            let alive = started.addingTimeInterval(Double.random(in: 0..<200_100, using: &generator))
            var worker = WorkerStatus(
                task: index % 7 == 0 ? "Zoë two" : "bench", pid: Int32(index * 37 + 1), startedAt: started, lastAliveAt: alive,
                state: ["running", "draining", "stopping"][index % 3], keepAlives: index,
                status: [nil, "ready", "working", "stopping"][index % 4], job: texts[index % texts.count],
                message: texts[(index / 3) % texts.count])
            worker.ready = index % 5 != 0
            worker.stopReason = index % 3 == 2 ? texts[(index / 2) % texts.count] : nil
            workers.append(worker)
        }
        let expected = workers.map { Self.reference($0, now: now) }.joined()
        #expect(Self.text(WorkerListText.render(workers, now: now)) == expected)
        #expect(Self.text(WorkerListText.render([], now: now)) == "")
        // Each line alone too (no state carried from one line to the next but the time cache).
        for worker in workers.prefix(50) {
            #expect(Self.text(WorkerListText.render([worker], now: now)) == Self.reference(worker, now: now))
        }
    }

    @Test func writesDecimalNumbers() {
        for value in [0, 7, 10, 99, 100, 65_535, 4_194_304, Int(Int32.max), -1, -120, Int.max, Int.min] {
            var buffer = ByteBuffer()
            buffer.writeDecimal(value)
            #expect(String(buffer: buffer) == "\(value)")
        }
    }
}

/// The API's JSON field names, now in ControlAPI: the same bytes as the
/// core's Codable types wrote (keys sorted, nil fields left out).
@Suite struct StatusJSONTests {
    static func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try Reply.encoder.encode(value), as: UTF8.self)
    }

    /// Every line a status can have, each once, sorted by key (the Go
    /// version's order), with its value.
    @Test func taskStatusTextHasEveryLineSortedByKey() {
        let epoch = Date(timeIntervalSince1970: 1_700_000_000)
        var exits = ExitCounts()
        exits.startupTimeout = 5
        exits.recycled = 6
        var status = TaskStatus(
            name: "bench", running: true, activeWorkers: 3, cardinality: 4, deadWorkers: 21, stalledWorkers: 4,
            stoppingWorkers: 1, startedAt: epoch, lastAliveAt: epoch, exits: exits,
            keepAlivesReceived: 9, keepAlivesDropped: [:])
        status.drainingWorkers = 2
        status.outputLinesDropped = 7
        status.lastSpawnError = "no such file"
        status.lastExit = "exit status 1"
        status.nextSpawnAt = epoch
        status.backoffReason = "exit status 1"
        status.quickFailures = 1
        status.rollout = RolloutStatus(.running(replaced: 2, total: 5))
        status.paused = true
        let lines = TextFormat.status(status).split(separator: "\n").map(String.init)
        let keys = lines.map { String($0.prefix { $0 != ":" }) }
        #expect(keys.count == 22)
        #expect(keys == keys.sorted())
        #expect(Set(keys).count == keys.count)
        for line in [
            "Active Workers:\t3 / 4", "Draining Workers:\t2", "Dropped Output Lines:\t7", "Paused:\ttrue",
            "Restart backoff:\t1 quick failure in a row, last: exit status 1", "Rollout:\t2/5 replaced",
            "Startup Timeouts:\t5", "Recycled Workers:\t6", "Stopping Workers:\t1", "Task name:\tbench",
        ] {
            #expect(lines.contains(line), "\(line)")
        }
    }

    @Test func taskStatusFields() throws {
        let epoch = Date(timeIntervalSince1970: 1_700_000_000)
        var exits = ExitCounts()
        exits.clean = 1
        exits.crashed = 2
        exits.signaled = 3
        exits.stalled = 4
        exits.startupTimeout = 5
        exits.recycled = 6
        var status = TaskStatus(
            name: "bench", running: true, activeWorkers: 3, cardinality: 4, deadWorkers: 21, stalledWorkers: 4,
            stoppingWorkers: 1, startedAt: epoch, lastAliveAt: epoch.addingTimeInterval(5), exits: exits,
            keepAlivesReceived: 9, keepAlivesDropped: ["bad_pid": 1, "malformed": 0])
        #expect(
            try Self.encoded(TaskStatusJSON(status))
                == #"{"active_workers":3,"cardinality":4,"dead_workers":21,"exits":{"clean":1,"crashed":2,"recycled":6,"#
                + #""signaled":3,"stalled":4,"startup_timeout":5},"keepalives_dropped":{"bad_pid":1,"malformed":0},"#
                + #""keepalives_received":9,"last_alive_at":"2023-11-14T22:13:25Z","name":"bench","output_lines_dropped":0,"#
                + #""quick_failures":0,"ready_workers":0,"running":true,"stalled_workers":4,"started_at":"2023-11-14T22:13:20Z","#
                + #""stopping_workers":1}"#)
        status.drainingWorkers = 2
        status.lastSpawnError = "cannot start /x: No such file or directory"
        status.lastSpawnErrorAt = epoch
        status.lastExit = "exit status 1"
        status.nextSpawnAt = epoch.addingTimeInterval(1)
        status.backoffReason = "exit status 1"
        status.rollout = RolloutStatus(.failed(reason: "new worker 7 stalled"))
        status.paused = true
        let json = try Self.encoded(TaskStatusJSON(status))
        for field in [
            #""draining_workers":2"#, #""last_spawn_error":"cannot start /x: No such file or directory""#,
            #""last_spawn_error_at":"2023-11-14T22:13:20Z""#, #""last_exit":"exit status 1""#,
            #""next_spawn_at":"2023-11-14T22:13:21Z""#, #""backoff_reason":"exit status 1""#,
            #""rollout":{"reason":"new worker 7 stalled","state":"failed"}"#, #""paused":true"#,
        ] {
            #expect(json.contains(field), "\(field) in \(json)")
        }
        #expect(try Self.encoded(RolloutStatusJSON(RolloutStatus(.running(replaced: 2, total: 5)))) == #"{"replaced":2,"state":"running","total":5}"#)
        #expect(try Self.encoded(TaskList(tasks: [])) == #"{"tasks":[]}"#)
    }

    @Test func workerFields() throws {
        let epoch = Date(timeIntervalSince1970: 1_700_000_000)
        var worker = WorkerStatus(
            task: "bench", pid: 42, startedAt: epoch, lastAliveAt: epoch, state: "running", keepAlives: 3, status: nil,
            job: nil, message: nil)
        #expect(
            try Self.encoded(WorkerList(workers: [worker]))
                == #"{"workers":[{"keepalives":3,"last_alive_at":"2023-11-14T22:13:20Z","pid":42,"ready":false,"#
                + #""started_at":"2023-11-14T22:13:20Z","state":"running","task":"bench"}]}"#)
        worker.ready = true
        worker.state = "stopping"
        worker.stopReason = "scale-down: newest"
        worker.status = "working"
        worker.job = "j/1"
        worker.message = "hi"
        worker.cpuSeconds = 1.5
        worker.rssBytes = 4096
        #expect(
            try Self.encoded(WorkerStatusJSON(worker: worker))
                == #"{"cpu_seconds":1.5,"job":"j/1","keepalives":3,"last_alive_at":"2023-11-14T22:13:20Z","message":"hi","#
                + #""pid":42,"ready":true,"rss_bytes":4096,"started_at":"2023-11-14T22:13:20Z","state":"stopping","#
                + #""status":"working","stop_reason":"scale-down: newest","task":"bench"}"#)
    }
}
