import Foundation
import Testing

extension IntegrationSuite {
    /// `log_dir`: one file per task, rotation, SIGUSR2, and a stuck disk.
    @Suite struct WorkerLogFileTests {
        static let linePattern = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(\d+)\] (.*)$"#

        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

        func logConfig(_ ws: Workspace, tasks: [String: String], autotasks: String, extra: [String: JSON] = [:]) throws -> (String, String) {
            let logs = ws.path + "/logs"
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            return (ws.standardConfig(tasks: tasks, autotasks: autotasks, extra: extra.merging(["log_dir": .string(logs)]) { $1 }), logs)
        }

        @Test func eachTaskWritesItsFileWithTimeAndPidAndNothingIsLostAtTheEnd() async throws {
            let ws = try Workspace()
            let echo = "#!/bin/sh\necho \"out $1\"\necho 'err line' >&2\nprintf 'partial tail'\nexec sleep 1000\n"
            let (config, logs) = try logConfig(
                ws, tasks: ["Echo": echo, "Both": echo, "Tail": echo],
                autotasks: #"{"Echo": {"args": ["a b"]}, "Both": {"capture_output": true}, "Tail": {}}"#)
            var tail: pid_t = 0
            try await withManager(ws, config: config) { m in
                let pid = try await m.waitForWorkers("Echo", count: 1)[0]
                let both = try await m.waitForWorkers("Both", count: 1)[0]
                tail = try await m.waitForWorkers("Tail", count: 1)[0]
                #expect(await eventually { read(logs + "/Echo.log").contains("err line\n") })
                let lines = read(logs + "/Echo.log").split(separator: "\n").map(String.init)
                for line in lines {
                    #expect(line.range(of: Self.linePattern, options: .regularExpression) != nil, "\(line)")
                }
                #expect(lines.map { $0.components(separatedBy: "] ").last! } == ["out a b", "err line"])
                #expect(lines.allSatisfy { $0.contains(" [\(pid)] ") })
                // Not on stdout without capture_output; both places with it.
                #expect(!m.stdout.text.contains("out a b"))
                #expect(await eventually { m.stdout.lines.contains("[Both \(both)] err line") })
                #expect(await eventually { read(logs + "/Both.log").contains(" [\(both)] err line\n") })
                // The last line has no newline: written when the worker's output ends.
                #expect(!read(logs + "/Echo.log").contains("partial tail"))
                _ = try await m.request(.delete, "/tasks/Echo")
                #expect(await eventually { read(logs + "/Echo.log").hasSuffix(" [\(pid)] partial tail\n") })
                #expect(try await m.status("Echo")["Dropped Output Lines"] == nil)
                #expect(try await m.taskJSON("Echo")["output_lines_dropped"] as? Int == 0)
            }
            // The manager's own shutdown does not lose a partial line either.
            #expect(read(logs + "/Tail.log").hasSuffix(" [\(tail)] partial tail\n"), "\(read(logs + "/Tail.log"))")
        }

        @Test func filesRotateAtTheSizeKeepingTheBackups() async throws {
            let ws = try Workspace()
            // 300 numbered lines, then nothing.
            let writer = "#!/bin/sh\ni=0\nwhile [ $i -lt 300 ]; do echo \"line $i\"; i=$((i+1)); done\nexec sleep 1000\n"
            let (config, logs) = try logConfig(
                ws, tasks: ["Work": writer], autotasks: #"{"Work": {}}"#, extra: ["log_max_size": 1024, "log_backups": 2])
            try await withManager(ws, config: config) { m in
                _ = try await m.waitForWorkers("Work", count: 1)
                #expect(await eventually { read(logs + "/Work.log").hasSuffix("] line 299\n") })
                let files = try FileManager.default.contentsOfDirectory(atPath: logs).sorted()
                #expect(files == ["Work.log", "Work.log.1", "Work.log.2"])
                var numbers: [Int] = []
                for name in ["Work.log.2", "Work.log.1", "Work.log"] {
                    let text = read(logs + "/" + name)
                    #expect(text.utf8.count <= 1024, "\(name): \(text.utf8.count) bytes")
                    if name != "Work.log" {
                        #expect(text.utf8.count > 1024 - 60, "\(name) rotated early: \(text.utf8.count) bytes")
                    }
                    numbers += text.split(separator: "\n").compactMap { Int($0.components(separatedBy: "line ").last!) }
                }
                // Whole lines, in order, nothing missing between the files.
                #expect(numbers == Array((300 - numbers.count)..<300), "\(numbers)")
            }
        }

        @Test func sigusr2ReopensTheFilesForLogrotate() async throws {
            let ws = try Workspace()
            let ticker = "#!/bin/sh\ni=0\nwhile :; do echo \"tick $i\"; i=$((i+1)); sleep 0.05; done\n"
            let (config, logs) = try logConfig(ws, tasks: ["Tick": ticker], autotasks: #"{"Tick": {}}"#)
            try await withManager(ws, config: config) { m in
                _ = try await m.waitForWorkers("Tick", count: 1)
                let file = logs + "/Tick.log"
                #expect(await eventually { read(file).contains("tick 1\n") })
                // What logrotate does: move the file away, then tell the manager.
                try FileManager.default.moveItem(atPath: file, toPath: file + ".1")
                let moved = read(file + ".1").count
                #expect(await eventually { read(file + ".1").count > moved })  // still written there
                #expect(!FileManager.default.fileExists(atPath: file))
                kill(m.pid, SIGUSR2)
                #expect(await eventually { read(file).split(separator: "\n").count >= 3 })
                let old = read(file + ".1")
                #expect(await eventually { read(file).split(separator: "\n").count >= 6 })
                #expect(read(file + ".1") == old)
                #expect(m.stderr.text.contains("SIGUSR2 received: reopening the worker log files"))
                // The ticks go on across the two files.
                let last = Int(old.split(separator: "\n").last!.components(separatedBy: "tick ").last!)!
                #expect(read(file).split(separator: "\n").first?.hasSuffix("tick \(last + 1)") == true)
            }
        }

        /// A reload sets, moves, resizes and removes `log_dir` with the same
        /// workers; an unusable `log_dir` changes nothing.
        @Test func reloadAppliesTheLogKeysInPlace() async throws {
            let ws = try Workspace()
            let ticker = "#!/bin/sh\ni=0\nwhile :; do echo \"tick $i\"; i=$((i+1)); sleep 0.05; done\n"
            let first = ws.path + "/first", second = ws.path + "/second"
            for dir in [first, second] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            let file = ws.standardConfig(tasks: ["Tick": ticker], autotasks: #"{"Tick": {}}"#)
            func rewrite(_ extra: [String: JSON]) throws {
                let text = try String(contentsOfFile: ws.standardConfig(tasks: [:], autotasks: #"{"Tick": {}}"#, extra: extra), encoding: .utf8)
                try text.write(toFile: file, atomically: true, encoding: .utf8)
            }
            func lines(_ path: String) -> Int { read(path).split(separator: "\n").count }
            try await withManager(ws, config: file) { m in
                /// The number of the last tick the manager has read.
                func tick() async -> Int {
                    let last = (try? await m.get("/tasks/Tick/logs?lines=1").body) ?? ""
                    return Int(last.components(separatedBy: "tick ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
                }
                func ticks(after count: Int) async -> Bool {
                    let mark = await tick()
                    return await eventually { await tick() > mark + count }
                }
                let pids = try await m.waitForWorkers("Tick", count: 1)
                #expect(!FileManager.default.fileExists(atPath: first + "/Tick.log"))

                try rewrite(["log_dir": .string(first)])
                let set = try await m.json(.post, "/reload")
                #expect(set.status == 200, "\(set.body)")
                #expect(set.json["applied_in_place"] as? [String] == ["log_dir", "log_max_size", "log_backups"])
                #expect(set.json["needs_restart"] as? [String] == [])
                #expect(await eventually { lines(first + "/Tick.log") >= 3 })
                #expect(read(first + "/Tick.log").contains(" [\(pids[0])] tick "))

                // Elsewhere, rotated at 1 KiB with one backup: the first file stops growing.
                try rewrite(["log_dir": .string(second), "log_max_size": 1024, "log_backups": 1])
                let moved = try await m.request(.post, "/reload")
                #expect(moved.status == 200)
                #expect(moved.body.contains("applied in place: log_dir, log_max_size, log_backups\n"), "\(moved.body)")
                #expect(await eventually { FileManager.default.fileExists(atPath: second + "/Tick.log.1") })
                let stopped = read(first + "/Tick.log")
                #expect(await eventually { lines(second + "/Tick.log") >= 5 })
                #expect(await ticks(after: 10))
                #expect(read(first + "/Tick.log") == stopped)
                #expect(read(second + "/Tick.log.1").utf8.count <= 1024)
                #expect(!FileManager.default.fileExists(atPath: second + "/Tick.log.2"))

                // An unusable log_dir is refused as a whole: the files go on.
                try rewrite(["log_dir": .string(ws.path + "/missing")])
                let refused = try await m.request(.post, "/reload")
                #expect(refused.status == 400)
                #expect(refused.body.contains("log_dir"), "\(refused.body)")
                #expect(try await m.get("/tasks/Tick").status == 200)

                // Without log_dir again: no file is written, SIGUSR2 says so.
                try rewrite([:])
                let removed = try await m.json(.post, "/reload")
                #expect(removed.json["applied_in_place"] as? [String] == ["log_dir", "log_max_size", "log_backups"])
                kill(m.pid, SIGUSR2)
                #expect(await eventually { m.stderr.text.contains("SIGUSR2 received and ignored: no worker log files (log_dir)") })
                // Lines read before the reload may still be on their way to the files.
                #expect(await ticks(after: 10))
                let last = read(second + "/Tick.log") + read(second + "/Tick.log.1")
                #expect(await ticks(after: 20))
                #expect(read(second + "/Tick.log") + read(second + "/Tick.log.1") == last)
                #expect(try await m.workerPids("Tick") == pids)
            }
        }

        @Test func sigusr2WithoutLogDirIsLoggedAndIgnored() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#)
            try await withManager(ws, config: config) { m in
                let pids = try await m.waitForWorkers("Work", count: 1)
                kill(m.pid, SIGUSR2)
                #expect(await eventually { m.stderr.text.contains("SIGUSR2 received and ignored: no worker log files (log_dir)") })
                #expect(try await m.workerPids("Work") == pids)
                // Without log_dir (nor capture_output), workers write to the
                // manager's pipe all the same: their last lines are kept in memory.
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pids[0])/fd/1")
                #expect(target.hasPrefix("pipe:"))
            }
        }

        @Test func aStuckLogFileBlocksNeitherTheWorkersNorTheManager() async throws {
            let ws = try Workspace()
            // 12 MB of output (150000 lines of 80 bytes), then a mark that the worker got past its writes.
            let flood =
                "#!/bin/sh\nyes 'a line of output that is long enough to fill a buffer quickly, again and again.' | head -c 12000000\ntouch \"$0.done.$$\"\nexec sleep 1000\n"
            let (config, logs) = try logConfig(ws, tasks: ["Flood": flood], autotasks: "{}")
            // The task's file is a FIFO that the test opens and never reads.
            #expect(mkfifo(logs + "/Flood.log", 0o644) == 0)
            let reader = open(logs + "/Flood.log", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            #expect(reader >= 0)
            defer { close(reader) }
            try await withManager(ws, config: config) { m in
                _ = try await m.get("/tasks/Flood/start")
                let pid = try await m.waitForWorkers("Flood", count: 1)[0]
                #expect(await eventually(timeout: .seconds(60)) {
                    FileManager.default.fileExists(atPath: ws.tasks + "/FloodTask.sh.done.\(pid)")
                })
                var dropped = 0
                #expect(await eventually {
                    dropped = Int((try? await m.status("Flood"))?["Dropped Output Lines"] ?? "") ?? 0
                    return dropped > 0
                })
                // The FIFO, the batch being written and the buffer hold at most
                // about 8.5 MB of file lines (some 113 bytes each with their prefix): 75000 of 150000.
                #expect(dropped > 60_000, "\(dropped)")
                #expect(try await m.taskJSON("Flood")["output_lines_dropped"] as? Int ?? 0 >= dropped)
                #expect(m.stderr.text.contains("worker output dropped: the log file buffer is full"))
                // The manager carries on.
                #expect(try await m.get("/list").status == 200)
                #expect(try await m.workerPids("Flood") == [pid])
            }
        }
    }
}
