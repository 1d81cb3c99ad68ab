import Foundation
import Testing

/// Exhausted limits: no more processes, no more descriptors (README, "Faults").
extension IntegrationSuite {
    @Suite struct LimitTests {
        /// A cgroup with the `pids` controller that caps how many tasks the
        /// processes in it may have; removed at the end.
        final class PidsCgroup {
            let path: String

            init(in hierarchy: String) throws {
                path = hierarchy + "/wpmtest-\(UUID().uuidString.prefix(8))"
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            }

            /// Where such a cgroup can be made: the v1 `pids` hierarchy, or
            /// a v2 one whose root offers the controller (then enabled for
            /// its children); nil when neither is mounted.
            static func hierarchy() -> String? {
                if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/cgroup.procs") { return "/sys/fs/cgroup/pids" }
                for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
                    guard let offered = try? String(contentsOfFile: root + "/cgroup.controllers", encoding: .utf8),
                        offered.split(whereSeparator: \.isWhitespace).contains("pids")
                    else { continue }
                    try? "+pids".write(toFile: root + "/cgroup.subtree_control", atomically: false, encoding: .utf8)
                    return root
                }
                return nil
            }

            func set(_ file: String, _ value: String) throws {
                try value.write(toFile: path + "/" + file, atomically: false, encoding: .utf8)
            }

            func read(_ file: String) -> String {
                ((try? String(contentsOfFile: path + "/" + file, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            }

            func remove() async {
                _ = await eventually { rmdir(path) == 0 || errno == ENOENT }
            }
        }

        /// With no process left to start (a pids cgroup full), spawns fail
        /// with EAGAIN: the task backs off, and recovers once there is room.
        @Test func spawnsFailingWithEAGAINBackOffAndRecover() async throws {
            guard let hierarchy = PidsCgroup.hierarchy() else {
                Issue.record("no pids cgroup controller (neither /sys/fs/cgroup/pids nor a cgroup v2 root that offers it)")
                return
            }
            let cgroup = try PidsCgroup(in: hierarchy)
            let ws = try Workspace()
            let cfg = ws.standardConfig(
                tasks: ["Many": Scripts.sleeper], autotasks: "{}",
                extra: ["backoff_initial": 200, "backoff_max": 400])
            do {
                try await withManager(ws, config: cfg) { m in
                    try cgroup.set("cgroup.procs", "\(m.pid)")
                    let threads = Int(cgroup.read("pids.current")) ?? 0
                    #expect(threads > 1)
                    // Room for two workers (and one spare thread).
                    try cgroup.set("pids.max", "\(threads + 3)")
                    #expect(try await m.get("/tasks/Many/set/cardinality/6").status == 200)
                    #expect(try await m.get("/tasks/Many/start").status == 200)
                    let failed = await eventually {
                        let j = (try? await m.json(.get, "/tasks/Many").json) ?? [:]
                        return (j["last_spawn_error"] as? String ?? "").contains("Resource temporarily unavailable")
                            && (j["quick_failures"] as? Int ?? 0) >= 2
                    }
                    #expect(failed, "\(m.stderr.text)")
                    #expect(try await m.workerPids("Many").count < 6)
                    #expect(m.process.isRunning)
                    try cgroup.set("pids.max", "max")
                    _ = try await m.waitForWorkers("Many", count: 6)
                }
            } catch {
                try? cgroup.set("pids.max", "max")
                await cgroup.remove()
                throw error
            }
            await cgroup.remove()
        }
    
        /// CPU time (user + system) of `pid` so far, in clock ticks.
        static func cpuTicks(_ pid: pid_t) -> Int {
            guard let stat = ProcessTable.stat(pid), stat.count > 12 else { return 0 }
            return (Int(stat[11]) ?? 0) + (Int(stat[12]) ?? 0)
        }

        /// Whether an HTTP request on a new connection is answered within `wait`.
        static func answers(_ port: Int, within wait: Duration) async -> Bool {
            guard let connection = try? RawConnection(port: port) else { return false }
            connection.send("GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return await eventually(timeout: wait, every: .milliseconds(20)) {
                connection.poll()
                return connection.text.hasPrefix("HTTP/1.1 200")
            }
        }

        /// With every descriptor in use, the HTTP API stops taking
        /// connections for a while without spinning, keep-alives of
        /// connected workers still count, and it serves again once
        /// descriptors are free.
        @Test func noDescriptorLeftRefusesHTTPForAWhileAndRecovers() async throws {
            let ws = try Workspace()
            let cfg = ws.standardConfig(
                tasks: ["Beat": Scripts.sleeper], autotasks: #"{"Beat": {"stall_timeout": 1500}}"#)
            try await withManager(ws, config: cfg) { m in
                let beat = try await m.waitForWorkers("Beat", count: 1)
                let beater = try IntegrationSuite.FaultTests.Beater(m.keepAliveEndpoint, task: "Beat", pids: beat)
                #expect(await Self.answers(m.port, within: .seconds(10)))
                let open = (try FileManager.default.contentsOfDirectory(atPath: "/proc/\(m.pid)/fd")).count
                let limit = open + 4
                let set = try await runCommand("/usr/bin/prlimit", ["--pid", "\(m.pid)", "--nofile=\(limit):\(limit)"])
                #expect(set.status == 0, "\(set.stderr)")
                var held: [RawConnection] = []
                for _ in 0..<12 { if let c = try? RawConnection(port: m.port) { held.append(c) } }
                // Refused (not answered) while no descriptor is left, and no busy loop.
                let ticks = Self.cpuTicks(m.pid)
                let start = ContinuousClock.now
                #expect(await !Self.answers(m.port, within: .seconds(3)))
                let spent = Double(Self.cpuTicks(m.pid) - ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
                let elapsed = ContinuousClock.now - start
                #expect(spent < 0.5 * Double(elapsed.components.seconds + 1), "the manager used \(spent) s of CPU in \(elapsed)")
                // Keep-alives still count meanwhile: the beaten worker lives on.
                #expect(ProcessTable.isAlive(beat[0]))
                held.removeAll()
                #expect(await Self.answers(m.port, within: .seconds(20)), "the HTTP API did not recover\n\(m.stderr.text)")
                await beater.stop()
                #expect(try await m.status("Beat")["Stalled Workers"] == "0")
                #expect(try await m.workerPids("Beat") == beat)
                #expect(m.process.isRunning)
                _ = try await runCommand("/usr/bin/prlimit", ["--pid", "\(m.pid)", "--nofile=65536:65536"])
            }
        }
    }
}
