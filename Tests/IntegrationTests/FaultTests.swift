import Foundation
import Testing

/// Faults a fleet meets (README, "Faults"): a frozen manager, hostile
/// keep-alive senders.
extension IntegrationSuite {
    @Suite struct FaultTests {
        func config(_ ws: Workspace, cardinality: Int, stall: Int, workStall: Int? = nil) -> String {
            ws.task("WorkTask.sh", Scripts.sleeper)
            ws.task("OtherTask.sh", Scripts.sleeper)
            var config = ws.testConfig(stall: stall, grace: 300, host: "127.0.0.1")
            config.autotasks = ["Work": ["cardinality": .int(cardinality), "stall_timeout": .int(workStall ?? stall)], "Other": [:]]
            return ws.config(config)
        }

        func metrics(_ m: Manager) async throws -> [IntegrationSuite.MetricsTests.Sample] {
            IntegrationSuite.MetricsTests.parse(try await m.get("/metrics").body).samples
        }

        func metric(_ m: Manager, _ name: String, _ labels: [String: String] = [:]) async throws -> Double {
            IntegrationSuite.MetricsTests.value(try await metrics(m), name, labels) ?? -1
        }

        /// The `pid=N` of each log line.
        static func pids(in lines: [String]) -> [pid_t] {
            var found: [pid_t] = []
            for line in lines {
                for word in line.split(separator: " ") where word.hasPrefix("pid=") {
                    if let pid = pid_t(word.dropFirst(4)) { found.append(pid) }
                }
            }
            return found
        }

        /// Beats for `pids` every 300 ms from a task of its own until stopped;
        /// pids in `silent` are left out from then on.
        final class Beater: @unchecked Sendable {
            private let state = NSLock()
            private var silent: Set<pid_t> = []
            private var stopped = false
            private var task: Task<Void, Never>?

            init(_ endpoint: String, task name: String, pids: [pid_t]) throws {
                let publisher = try Publisher(endpoint)
                task = Task.detached { [self] in
                    while !isStopped {
                        for pid in pids where !isSilent(pid) { try? publisher.beat(name, pid: pid) }
                        try? await Task.sleep(for: .milliseconds(300))
                    }
                }
            }

            private var isStopped: Bool { state.withLock { stopped } }
            private func isSilent(_ pid: pid_t) -> Bool { state.withLock { silent.contains(pid) } }
            func silence(_ pid: pid_t) { state.withLock { _ = silent.insert(pid) } }

            func stop() async {
                state.withLock { stopped = true }
                await task?.value
            }
        }

        /// The scene: a manager frozen (SIGSTOP) for three stall
        /// timeouts while its workers keep beating loses none of them; a
        /// worker that fell silent during the freeze is still caught.
        @Test func aFrozenManagerStopsNoWorkerThatKeptBeating() async throws {
            let ws = try Workspace()
            let cfg = config(ws, cardinality: 6, stall: 2000)
            try await withManager(ws, config: cfg) { m in
                let pids = try await m.waitForWorkers("Work", count: 6)
                let beater = try Beater(m.keepAliveEndpoint, task: "Work", pids: pids)
                let other = try await m.waitForWorkers("Other", count: 1)
                let otherBeater = try Beater(m.keepAliveEndpoint, task: "Other", pids: other)
                // Every worker has been heard from before the freeze.
                #expect(await eventually { (try? await m.workerPids("Work").count) == 6 })
                let heard = await eventually {
                    let list = (try? await m.json(.get, "/tasks/Work/list").json["workers"] as? [[String: Any]]) ?? []
                    return list.count == 6 && list.allSatisfy { ($0["keepalives"] as? Int ?? 0) >= 2 }
                }
                #expect(heard)
                let silent = pids[0]
                kill(m.pid, SIGSTOP)
                try await Task.sleep(for: .seconds(1))
                beater.silence(silent)
                try await Task.sleep(for: .seconds(5))
                kill(m.pid, SIGCONT)
                // Three more stall timeouts: the silent one is caught, the rest live on.
                let caught = await eventually(timeout: .seconds(30)) { !ProcessTable.isAlive(silent) }
                try await Task.sleep(for: .seconds(4))
                await beater.stop()
                await otherBeater.stop()
                #expect(caught, "the worker that fell silent during the freeze was not stopped")
                for pid in pids.dropFirst() { #expect(ProcessTable.isAlive(pid), "worker \(pid) was stopped") }
                // Only workers nobody beat stalled: the silent one (and
                // replacements of it, which the beater does not know).
                let stalled = m.stderr.lines.filter { $0.contains("worker stalled") }
                let stalledPids = Self.pids(in: stalled)
                let silentStalled = stalledPids.contains(silent)
                let wronglyStalled = Array(pids.dropFirst()).filter { stalledPids.contains($0) }
                #expect(silentStalled)
                #expect(wronglyStalled.isEmpty)
                if !silentStalled || !wronglyStalled.isEmpty { print(stalled) }
                #expect(try await m.status("Other")["Stalled Workers"] == "0")
                #expect(try await m.workerPids("Other") == other)
                #expect(m.stderr.text.contains("the manager did not run for"), "\(m.stderr.text)")
                #expect(try await metric(m, "wpm_manager_pauses_total") >= 1)
                #expect(try await metric(m, "wpm_manager_paused_seconds_total") >= 3)
            }
        }

        /// One socket sends a burst of oversized frames (up to 1 MiB) and
        /// garbage, then valid keep-alives: they are counted within a
        /// second, the oversized ones as `too_large`, and the other
        /// workers never notice.
        @Test func hostileFramesHurtOnlyTheirSender() async throws {
            let ws = try Workspace()
            let cfg = config(ws, cardinality: 1, stall: 4000, workStall: 600_000)
            try await withManager(ws, config: cfg) { m in
                let work = try await m.waitForWorkers("Work", count: 1)[0]
                let other = try await m.waitForWorkers("Other", count: 1)
                let otherBeater = try Beater(m.keepAliveEndpoint, task: "Other", pids: other)
                let hostile = try Publisher(m.keepAliveEndpoint)
                let big = [UInt8](repeating: 0x41, count: 1 << 20)
                let medium = [UInt8](repeating: 0x7b, count: 100_000)
                for round in 0..<40 {
                    try hostile.send([Array("Work".utf8), round % 2 == 0 ? big : medium])
                    try hostile.send([big])
                    try hostile.send(["Work", "{not json"])
                    try hostile.send(["Work"])
                    try hostile.send([[0xff, 0xfe, 0x00], [0x00, 0x01]])
                }
                let before = try await m.json(.get, "/tasks/Work").json["keepalives_received"] as? Int ?? 0
                let sentAt = ContinuousClock.now
                var counted = false
                while ContinuousClock.now - sentAt < .seconds(1), !counted {
                    try hostile.beat("Work", pid: work)
                    try await Task.sleep(for: .milliseconds(50))
                    counted = (try await m.json(.get, "/tasks/Work").json["keepalives_received"] as? Int ?? 0) > before
                }
                #expect(counted, "no keep-alive of the hostile socket counted within a second")
                let dropped = try await m.json(.get, "/tasks/Work").json["keepalives_dropped"] as? [String: Int] ?? [:]
                #expect(dropped["too_large"] == 40, "\(dropped)")
                #expect(dropped["malformed_json"] == 40, "\(dropped)")
                #expect(dropped["missing_frame"] == 40, "\(dropped)")
                #expect(try await metric(m, "wpm_keepalives_dropped_total", ["task": "Work", "reason": "too_large"]) == 40)
                #expect(try await metric(m, "wpm_keepalives_dropped_total", ["task": "", "reason": "too_large"]) == 40)

                // A frame over 1 MiB costs its sender the connection, counted.
                let closedBefore = try await metric(m, "wpm_keepalive_connections_total", ["event": "closed"])
                let huge = try Publisher(m.keepAliveEndpoint)
                try huge.send([Array("Work".utf8), [UInt8](repeating: 0x41, count: (1 << 20) + 1)])
                #expect(await eventually { (try? await metric(m, "wpm_keepalive_connections_total", ["event": "closed"])) ?? 0 > closedBefore })
                // A greeting ZeroMQ refuses (an unknown security mechanism):
                // refused at the handshake, counted. Plain garbage too.
                let port = Int(m.keepAliveEndpoint.split(separator: ":").last!)!
                let garbage = try RawConnection(port: port)
                garbage.send(bytes: [UInt8](repeating: 0x47, count: 4096))
                let raw = try RawConnection(port: port)
                let mechanism = Array("BOGUS".utf8) + [UInt8](repeating: 0, count: 15)
                raw.send(bytes: [0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0] + mechanism + [0] + [UInt8](repeating: 0, count: 31))
                #expect(await eventually { (try? await metric(m, "wpm_keepalive_connections_total", ["event": "refused"])) ?? 0 >= 1 })
                #expect(try await metric(m, "wpm_keepalive_connections_total", ["event": "accepted"]) >= 3)

                // The hostile socket still works, and nobody else was hurt.
                let after = try await m.json(.get, "/tasks/Work").json["keepalives_received"] as? Int ?? 0
                try hostile.beat("Work", pid: work)
                #expect(await eventually { (try? await m.json(.get, "/tasks/Work").json["keepalives_received"] as? Int ?? 0) ?? 0 > after })
                await otherBeater.stop()
                #expect(try await m.status("Other")["Stalled Workers"] == "0")
                #expect(try await m.status("Work")["Stalled Workers"] == "0")
                #expect(try await m.workerPids("Other") == other)
            }
        }
    }
}
