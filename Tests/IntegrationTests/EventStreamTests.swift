import Foundation
import HTTPTypes
import Testing

/// `GET /events`: lifecycle events as Server-Sent Events, in order, filtered
/// by task, and its refusals.
extension IntegrationSuite {
@Suite struct EventStreamTests {
    @Test func eventsArriveInOrderForStartKillCardinalityAndStop() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper, "Other": Scripts.sleeper])
        try await withManager(ws, config: config) { m in
            let all = try await EventWatcher.connect(m)
            defer { all.stop() }
            let workOnly = try await EventWatcher.connect(m, query: "?task=Work")
            defer { workOnly.stop() }
            #expect(all.head.hasPrefix("HTTP/1.1 200"))
            #expect(all.head.lowercased().contains("content-type: text/event-stream"))

            _ = try await m.get("/tasks/Other/start")
            _ = try await m.get("/tasks/Work/start")
            let first = try await m.waitForWorkers("Work", count: 1)[0]
            await all.waitFor("Work's first worker") { $0.of("worker_spawned", pid: first).count == 1 }

            // A worker killed from outside: its exit, then its replacement.
            kill(first, SIGKILL)
            await all.waitFor("the replacement") { $0.of("worker_spawned").filter { $0["task"] as? String == "Work" }.count == 2 }
            _ = try await m.get("/tasks/Work/set/cardinality/2")
            let two = try await m.waitForWorkers("Work", count: 2)
            _ = try await m.request(.delete, "/tasks/Work")
            await all.waitFor("both exits after the stop") { events in
                two.allSatisfy { events.of("worker_exited", pid: $0).count == 1 }
            }

            let work = all.events.filter { $0["task"] as? String == "Work" }
            let types = work.compactMap { $0["type"] as? String }.filter { $0 != "backoff" }
            #expect(
                types == [
                    "task_started", "worker_spawned", "worker_exited", "worker_spawned", "cardinality_changed",
                    "worker_spawned", "task_stopped", "worker_exited", "worker_exited",
                ], "\(all.body)")
            let started = try #require(work.first)
            #expect(started["cardinality"] as? Int == 1)
            #expect(started["time"] as? String ?? "" ~= #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#)
            let killed = try #require(work.of("worker_exited", pid: first).first)
            #expect(killed["signal"] as? Int == 9)
            #expect(killed["signal_name"] as? String == "SIGKILL")
            #expect(killed["reason"] as? String == "signaled")
            let resized = try #require(work.of("cardinality_changed").first)
            #expect(resized["previous"] as? Int == 1 && resized["cardinality"] as? Int == 2)
            for pid in two {
                #expect(work.of("worker_exited", pid: pid).first?["reason"] as? String == "clean")
            }
            // In order, numbered without a gap (every task's events).
            let ids = all.events.compactMap { $0["id"] as? Int }
            #expect(ids == Array((ids.first ?? 0)..<((ids.first ?? 0) + ids.count)))
            #expect(ids == all.events.compactMap { $0["seq"] as? Int })

            // The filtered stream has the same Work events and nothing else.
            await workOnly.waitFor("the filtered stream") { $0.count == work.count }
            #expect(workOnly.events.allSatisfy { $0["task"] as? String == "Work" })
            #expect(workOnly.types == work.compactMap { $0["type"] as? String })
            #expect(all.events.contains { $0["task"] as? String == "Other" })

            // Shutting down ends the streams; the manager still exits 0 at once.
            try await m.finish()
            #expect(await eventually { !all.process.isRunning && !workOnly.process.isRunning })
        }
    }

    @Test func stallKillSpawnFailureAndBackoffAreEvents() async throws {
        let ws = try Workspace()
        ws.task("BrokenTask.sh", "#!/bin/sh\nexit 0\n", executable: false)
        let config = ws.standardConfig(
            tasks: ["Stuck": Scripts.stubbornReadyThenSilent, "Crash": "#!/bin/sh\nexit 3\n"],
            autotasks: #"{"Stuck": {"stall_timeout": 500, "startup_timeout": 60000, "grace_period": 300}}"#)
        try await withManager(ws, config: config) { m in
            let watcher = try await EventWatcher.connect(m)
            defer { watcher.stop() }
            _ = try await m.get("/tasks/Crash/start")
            _ = try await m.get("/tasks/Broken/start")
            await watcher.waitFor("a stalled worker killed and reaped") { events in
                guard let stalled = events.of("worker_stalled").first, let pid = stalled["pid"] as? Int else { return false }
                return events.of("worker_killed", pid: pid_t(pid)).count == 1
                    && events.of("worker_exited", pid: pid_t(pid)).first?["reason"] as? String == "stalled"
            }
            await watcher.waitFor("Crash backing off") { $0.of("backoff").contains { $0["task"] as? String == "Crash" } }
            await watcher.waitFor("Broken failing and backing off") { events in
                events.contains { $0["type"] as? String == "spawn_failed" && $0["task"] as? String == "Broken" }
                    && events.contains { $0["type"] as? String == "backoff" && $0["task"] as? String == "Broken" }
            }
            let events = watcher.events
            let stalled = try #require(events.of("worker_stalled").first)
            let pid = pid_t(try #require(stalled["pid"] as? Int))
            #expect(stalled["silence_ms"] as? Int ?? 0 >= 500)
            // Stalled, then SIGKILL after the grace period, then reaped.
            #expect(events.index(of: "worker_stalled", pid: pid) ?? .max < events.index(of: "worker_killed", pid: pid) ?? -1)
            #expect(events.index(of: "worker_killed", pid: pid) ?? .max < events.index(of: "worker_exited", pid: pid) ?? -1)

            let crash = events.filter { $0["task"] as? String == "Crash" }
            let exit = try #require(crash.of("worker_exited").first)
            #expect(exit["exit_code"] as? Int == 3 && exit["reason"] as? String == "crashed")
            let backoff = try #require(crash.of("backoff").first)
            #expect(backoff["reason"] as? String == "quick_exit")
            // The first wait: backoff_initial (1 s) ± 20% jitter.
            #expect((800...1200).contains(backoff["delay_ms"] as? Int ?? -1))
            #expect(crash.index(of: "worker_exited") ?? .max < crash.index(of: "backoff") ?? -1)

            let broken = events.filter { $0["task"] as? String == "Broken" }
            let spawnError = broken.of("spawn_failed").first?["error"] as? String
            #expect(spawnError?.contains("cannot start") == true)
            #expect(broken.of("backoff").first?["reason"] as? String == "spawn_failed")
            _ = try await m.request(.delete, "/tasks")
        }
    }

    @Test func workerReadyOnItsFirstKeepAlive() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#)
        try await withManager(ws, config: config) { m in
            let pid = try await m.waitForWorkers("Work", count: 1)[0]
            let watcher = try await EventWatcher.connect(m, query: "?task=Work")
            defer { watcher.stop() }
            let publisher = try Publisher(m.keepAliveEndpoint)
            #expect(await eventually {
                try? publisher.beat("Work", pid: pid)
                return watcher.events.of("worker_ready", pid: pid).count == 1
            })
            try publisher.beat("Work", pid: pid)
            #expect(await eventually { (try? await m.json(.get, "/tasks/Work").json["keepalives_received"] as? Int) ?? 0 >= 2 })
            // An event after those beats: once it is here, so is anything they caused.
            _ = try await m.get("/tasks/Work/set/cardinality/2")
            #expect(await eventually { watcher.events.of("cardinality_changed").count == 1 })
            #expect(watcher.events.of("worker_ready").count == 1)  // the first only
        }
    }

    @Test func badParametersAreRefused() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
        try await withManager(ws, config: config) { m in
            var reply = try await m.get("/events?task=Nope")
            #expect(reply.status == 404)
            #expect(reply.body == "ERROR: unknown task Nope\n")
            reply = try await m.get("/events?task=Work&task=Nope")
            #expect(reply.status == 404)
            reply = try await m.get("/events?task=")
            #expect(reply.status == 400)
            #expect(reply.body.hasPrefix("ERROR: empty task name"))
            reply = try await m.get("/events?tsak=Work")
            #expect(reply.status == 400)
            #expect(reply.body == "ERROR: unknown parameter \"tsak\" on /events (allowed: task, format)\n")
            reply = try await m.json(.get, "/events?task=Nope")
            #expect(reply.status == 404)
            #expect(reply.json["error"] as? String == "unknown task Nope")
            reply = try await m.get("/events?format=json&bad=1")
            #expect(reply.status == 400)
            #expect(reply.json["error"] as? String == "unknown parameter \"bad\" on /events (allowed: task, format)")
            reply = try await m.request(.post, "/events")
            #expect(reply.status == 405)
            #expect(reply.headers[.allow] == "GET")
            // Several tasks, repeated: accepted.
            let watcher = try await EventWatcher.connect(m, query: "?task=Work&task=Work")
            watcher.stop()
        }
    }
}
}

/// Regular expression match, for readable expectations.
private func ~= (text: String, pattern: String) -> Bool {
    text.range(of: pattern, options: .regularExpression) != nil
}

extension IntegrationSuite.EventStreamTests {
    /// A quiet stream gets a `: ping` comment every 15 s; a client that went
    /// away is dropped by the next write.
    @Test func aQuietStreamIsPingedAndAGoneClientIsDropped() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
        try await withManager(ws, config: config) { m in
            func subscribers() async throws -> Double? {
                IntegrationSuite.MetricsTests.value(IntegrationSuite.MetricsTests.parse(try await m.get("/metrics").body).samples, "wpm_event_subscribers")
            }
            let watcher = try await EventWatcher.connect(m)
            #expect(try await subscribers() == 1)
            #expect(await eventually(timeout: .seconds(40)) { watcher.body.contains("\n: ping\n\n") })
            #expect(watcher.events.isEmpty)
            watcher.stop()
            // The first ping after it left may still be written: the second fails.
            #expect(try await eventually(timeout: .seconds(60)) { try await subscribers() == 0 })
        }
    }
}
