import Foundation
import Testing

/// A wall clock that jumps, a disk that fills up (README, "Faults").
extension IntegrationSuite {
    @Suite struct ClockAndDiskTests {
        static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

        /// How long each worker stopped for silence had been silent: the
        /// `after_ms=N` of "not ready within startup_timeout" (it never sent
        /// a keep-alive) and the `silence_ms=N` of "worker stalled".
        static func silences(_ lines: [String]) -> [Int] {
            var found: [Int] = []
            for line in lines where line.contains("worker stalled") || line.contains("not ready within startup_timeout") {
                for word in line.split(separator: " ") {
                    for key in ["silence_ms=", "after_ms="] where word.hasPrefix(key) {
                        if let ms = Int(word.dropFirst(key.count)) { found.append(ms) }
                    }
                }
            }
            return found
        }

        /// The manager's wall clock jumps 3 hours ahead, then 6 hours back,
        /// under libfaketime (its monotonic and boot clocks untouched): a
        /// silent worker still stalls after `stall_timeout`, not hours
        /// early or late, and a beating one never does.
        @Test func aWallClockJumpChangesNoDeadline() async throws {
            #expect(FileManager.default.fileExists(atPath: Self.libfaketime), "libfaketime missing: scripts/install-deps.sh")
            let ws = try Workspace()
            let offset = ws.path + "/faketime"
            try "+0\n".write(toFile: offset, atomically: true, encoding: .utf8)
            ws.task("SilentTask.sh", Scripts.sleeper)
            ws.task("BeatTask.sh", Scripts.sleeper)
            let cfg = ws.config(
                ws.testConfig(
                    autotasks: #"{"Silent": {}, "Beat": {}}"#, stall: 1500, grace: 200, host: "127.0.0.1", extra: ["min_uptime": 0]))
            let environment = [
                "LD_PRELOAD": Self.libfaketime, "FAKETIME_TIMESTAMP_FILE": offset, "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            ]
            func body(_ m: Manager) async throws {
                let beat = try await m.waitForWorkers("Beat", count: 1)
                let beater = try IntegrationSuite.FaultTests.Beater(m.keepAliveEndpoint, task: "Beat", pids: beat)
                #expect(await eventually { Self.silences(m.stderr.lines).count >= 1 })
                try "+3h\n".write(toFile: offset, atomically: true, encoding: .utf8)
                let before = Self.silences(m.stderr.lines).count
                #expect(await eventually { Self.silences(m.stderr.lines).count >= before + 2 })
                // The manager's own clock did jump: its times are 3 hours ahead.
                let alive = try await m.json(.get, "/tasks/Beat").json["last_alive_at"] as? String ?? ""
                let shown = ISO8601DateFormatter().date(from: alive) ?? .distantPast
                #expect(shown.timeIntervalSinceNow > 2 * 3600, "last_alive_at \(alive)")
                try "-3h\n".write(toFile: offset, atomically: true, encoding: .utf8)
                let back = Self.silences(m.stderr.lines).count
                #expect(await eventually { Self.silences(m.stderr.lines).count >= back + 2 })
                await beater.stop()
                let silences = Self.silences(m.stderr.lines)
                #expect(silences.allSatisfy { $0 >= 1500 && $0 < 10_000 }, "\(silences)")
                #expect(try await m.status("Beat")["Stalled Workers"] == "0")
                #expect(try await m.workerPids("Beat") == beat)
            }
            // Started through timeout(1): a Swift program started directly
            // under libfaketime loses its arguments.
            let m = try Manager(ws, config: cfg, environment: environment, wrapper: ["/usr/bin/timeout", "600"])
            // SIGTERM straight to wpmanager (timeout(1) may have it blocked, as
            // its parent, the test runner, does), then the usual checks.
            func end() async throws {
                for child in ProcessTable.children(of: m.pid) { kill(child, SIGTERM) }
                _ = try await m.waitForExit()
                try await m.finish()
            }
            do {
                try await m.waitUntilListening()
                try await body(m)
            } catch {
                try? await end()
                throw error
            }
            try await end()

        }

        /// Runs `body` with a tmpfs of `size` mounted at `path`; unmounts it after.
        static func withTmpfs(at path: String, size: String, _ body: () async throws -> Void) async throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let mount = try await runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
            guard mount.status == 0 else { throw HarnessError("mount failed: \(mount.stderr)") }
            do {
                try await body()
            } catch {
                _ = try? await runCommand("/bin/umount", ["-l", path])
                throw error
            }
            let unmount = try await runCommand("/bin/umount", ["-l", path])
            #expect(unmount.status == 0, "umount: \(unmount.stderr)")
        }

        /// Fills the file system of `directory` with `file`; returns the bytes written.
        static func fill(_ file: String) -> Int {
            let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            defer { close(fd) }
            let chunk = [UInt8](repeating: 0, count: 16384)
            var total = 0
            while true {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n <= 0 { return total }
                total += n
            }
        }

        static func stateCardinality(_ path: String) -> Int? {
            guard let data = FileManager.default.contents(atPath: path),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let tasks = json["tasks"] as? [String: [String: Any]]
            else { return nil }
            return tasks["Talk"]?["cardinality"] as? Int
        }

        /// The disk of the state file and of `log_dir` fills up: each is said
        /// once, the last good state file stays, lines are dropped and
        /// counted; when space is back both catch up.
        @Test func aFullDiskIsSaidOnceAndCaughtUpWith() async throws {
            let ws = try Workspace()
            let disk = ws.path + "/disk"
            try await Self.withTmpfs(at: disk, size: "256k") {
                try FileManager.default.createDirectory(atPath: disk + "/logs", withIntermediateDirectories: true)
                let line = String(repeating: "x", count: 500)
                let cfg = ws.standardConfig(
                    tasks: ["Talk": "#!/bin/sh\ntrap 'exit 0' TERM\nwhile :; do echo \(line); sleep 0.05; done\n"],
                    autotasks: #"{"Talk": {}}"#,
                    extra: ["state_file": .string(disk + "/state.json"), "log_dir": .string(disk + "/logs"), "log_max_size": 0])
                try await withManager(ws, config: cfg) { m in
                    _ = try await m.waitForWorkers("Talk", count: 1)
                    #expect(try await m.get("/tasks/Talk/set/cardinality/2").status == 200)
                    #expect(await eventually { Self.stateCardinality(disk + "/state.json") == 2 })
                    let log = disk + "/logs/Talk.log"
                    #expect(await eventually { (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0 > 0 })

                    _ = Self.fill(disk + "/filler")
                    #expect(try await m.get("/tasks/Talk/set/cardinality/3").status == 200)
                    #expect(await eventually { m.stderr.text.contains("cannot write the state file") })
                    #expect(await eventually { m.stderr.text.contains("worker output lost") })
                    func dropped() async -> Int {
                        (try? await m.json(.get, "/tasks/Talk").json["output_lines_dropped"] as? Int) ?? 0
                    }
                    #expect(await eventually { await dropped() > 20 })
                    #expect(try await m.get("/tasks/Talk/set/cardinality/1").status == 200)
                    try await Task.sleep(for: .seconds(2))  // retries meanwhile: said once
                    // The last good state file stays.
                    #expect(Self.stateCardinality(disk + "/state.json") == 2)
                    #expect(m.stderr.lines.filter { $0.contains("cannot write the state file") }.count == 1)
                    #expect(m.stderr.lines.filter { $0.contains("worker output lost") && $0.contains("Talk.log") }.count == 1)

                    try FileManager.default.removeItem(atPath: disk + "/filler")
                    let sizeBack = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
                    #expect(await eventually { Self.stateCardinality(disk + "/state.json") == 1 }, "\(m.stderr.text)")
                    #expect(await eventually { m.stderr.text.contains("state file written again") })
                    #expect(await eventually { m.stderr.text.contains("worker output written again") })
                    #expect(await eventually { ((try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0) > sizeBack + 5000 })
                }
            }
        }
    }
}
