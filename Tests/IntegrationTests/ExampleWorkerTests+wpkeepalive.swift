import Foundation
import Testing

extension IntegrationSuite.ExampleWorkerTests {
    /// `wpkeepalive`, the one-shot sender the shell example uses.
    @Suite struct WPKeepAliveCommand {
        /// An error is one line, `wpkeepalive: …`.
        func expectOneLineError(_ result: CommandResult, status: Int32, mentioning words: [String]) {
            #expect(result.status == status, "\(result)")
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("wpkeepalive: "), "\(result.stderr)")
            for word in words { #expect(result.stderr.contains(word), "\(result.stderr)") }
            #expect(result.stdout.isEmpty)
        }

        @Test func missingTaskOrEndpointIsAUsageError() async throws {
            let none = try await runCommand(keepAliveCommand, [])
            expectOneLineError(none, status: 2, mentioning: ["WPM_TASK_NAME", "--task"])
            let noEndpoint = try await runCommand(
                keepAliveCommand, [], environment: environmentWithoutWPM(["WPM_TASK_NAME": "Work"]))
            expectOneLineError(noEndpoint, status: 2, mentioning: ["WPM_KEEPALIVE_ENDPOINT", "--endpoint"])
            let empty = try await runCommand(
                keepAliveCommand, ["--endpoint", "tcp://127.0.0.1:1"],
                environment: environmentWithoutWPM(["WPM_TASK_NAME": ""]))
            expectOneLineError(empty, status: 2, mentioning: ["WPM_TASK_NAME"])
        }

        @Test func badArgumentsAreUsageErrors() async throws {
            let target = ["--task", "Work", "--endpoint", "tcp://127.0.0.1:1", "--timeout", "300"]
            let status = try await runCommand(keepAliveCommand, target + ["--status", "sleepy"])
            expectOneLineError(status, status: 2, mentioning: ["sleepy", "ready", "working", "stopping"])
            for bad in [["--pid", "abc"], ["--pid", "0"], ["--timeout", "0"], ["--frobnicate"], ["extra"]] {
                let result = try await runCommand(keepAliveCommand, target + bad)
                expectOneLineError(result, status: 2, mentioning: [])
            }
            let huge = try await runCommand(keepAliveCommand, target + ["--message", String(repeating: "x", count: 5000)])
            expectOneLineError(huge, status: 2, mentioning: ["4096"])
            let endpoint = try await runCommand(keepAliveCommand, ["--task", "Work", "--endpoint", "nowhere"])
            expectOneLineError(endpoint, status: 2, mentioning: ["nowhere"])
        }

        @Test func helpNamesTheEnvironmentAndTheDefaultPid() async throws {
            let help = try await runCommand(keepAliveCommand, ["--help"])
            #expect(help.status == 0)
            for word in ["WPM_TASK_NAME", "WPM_KEEPALIVE_ENDPOINT", "--pid", "parent", "--status", "--job", "--message", "--timeout"] {
                #expect(help.stdout.contains(word), "\(help.stdout)")
            }
        }

        @Test func eachRunDeliversExactlyOneKeepAlive() async throws {
            let ws = try Workspace()
            let cfg = ws.config(ws.testConfig(autotasks: #"{"Work": {}}"#, stall: 60000, host: "localhost"))
            ws.task("WorkTask.sh", Scripts.sleeper)
            try await withManager(ws, config: cfg) { m in
                let pid = try await m.waitForWorkers("Work", count: 1)[0]
                func received() async throws -> Int { try await m.taskJSON("Work")["keepalives_received"] as? Int ?? -1 }
                #expect(try await received() == 0)

                // Everything on the command line, single-dash spellings too.
                let first = try await runCommand(
                    keepAliveCommand,
                    ["--task", "Work", "-endpoint=\(m.keepAliveEndpoint)", "--pid", "\(pid)",
                     "--status", "working", "--job", "job-7", "--message", "hello there"])
                #expect(first.status == 0, "\(first)")
                #expect(first.stderr.isEmpty && first.stdout.isEmpty, "\(first)")
                #expect(await eventually { (try? await received()) == 1 })
                let line = try await m.get("/tasks/Work/list").body
                #expect(line.hasSuffix(",\tStatus: working,\tJob: job-7,\tMessage: hello there\n"), "\(line)")

                // Task and endpoint from the environment wpmanager gives workers.
                let environment = environmentWithoutWPM([
                    "WPM_TASK_NAME": "Work", "WPM_KEEPALIVE_ENDPOINT": m.keepAliveEndpoint,
                ])
                let second = try await runCommand(
                    keepAliveCommand, ["--pid", "\(pid)", "--status", "ready"], environment: environment)
                #expect(second.status == 0, "\(second)")
                #expect(await eventually { (try? await m.workerEntries("Work")[pid]?["status"] as? String) == "ready" })
                #expect(try await received() == 2)
                let entry = try await m.workerEntries("Work")[pid]
                #expect(entry?["keepalives"] as? Int == 2)

                // Without --pid it speaks for its parent: this test process,
                // no worker, so the manager drops it as an unknown pid.
                let third = try await runCommand(keepAliveCommand, [], environment: environment)
                #expect(third.status == 0, "\(third)")
                #expect(await eventually {
                    ((try? await m.taskJSON("Work"))?["keepalives_dropped"] as? [String: Int])?["unknown_pid"] == 1
                })
                #expect(try await received() == 2)
            }
        }

        @Test func noManagerListeningFailsWithinTheTimeout() async throws {
            let port = try portNobodyListensOn()
            let result = try await runCommand(
                keepAliveCommand, ["--task", "Work", "--endpoint", "tcp://127.0.0.1:\(port)", "--pid", "1", "--timeout", "700"])
            expectOneLineError(result, status: 1, mentioning: ["no manager answered", "tcp://127.0.0.1:\(port)", "700 ms"])
            #expect(result.duration >= .milliseconds(650))
            #expect(result.duration < .seconds(5), "took \(result.duration)")
        }

        /// A TCP port on 127.0.0.1 that nothing listens on (just released by the OS).
        func portNobodyListensOn() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { throw HarnessError("bind: \(errno)") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}
