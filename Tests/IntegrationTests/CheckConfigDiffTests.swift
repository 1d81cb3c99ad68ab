import Foundation
import Testing

extension IntegrationSuite {
    /// `wpmanager --check-config --diff`: what a reload of the running
    /// manager would do, asked of it (`POST /reload?dry_run=1`).
    @Suite struct CheckConfigDiffTests {
        @Test func itPrintsWhatAReloadWouldDoAndChangesNothing() async throws {
            let ws = try Workspace()
            for name in ["Args", "Size", "Same"] { ws.task(name + "Task.sh", ReloadTests.worker) }
            let port = try unusedPort()
            let file = ws.path + "/wpm.json"
            func write(args: String, size: Int, port: Int) {
                let text = """
                    {"port": \(port), "keepalives": {"inbound_port": 0, "internal_port": 0}, "path": "\(ws.tasks)",
                     "filesuffix": "Task.sh", "autotasks": \(ReloadTests.tasks(args: args, size: size))}
                    """
                _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
            }
            write(args: "v1", size: 2, port: port)
            try await withManager(ws, config: file) { m in
                let size = Set(try await m.waitForWorkers("Size", count: 2))
                write(args: "v2", size: 3, port: port)
                let run = try await runCommand(managerBinary, ["--check-config", "--diff", "-conf=\(file)"])
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.stdout.contains("a reload would do this:\nArgs: changed (args): rolling restart\nSame: unchanged\nSize: changed (cardinality): cardinality 2 -> 3\n"), "\(run.stdout)")
                #expect(Set(try await m.workerPids("Size", includingStopping: true)) == size)

                // No manager there: said, status 1.
                write(args: "v2", size: 3, port: try unusedPort())
                let none = try await runCommand(managerBinary, ["--check-config", "--diff", "-conf=\(file)"])
                #expect(none.status == 1)
                #expect(none.stderr.contains("wpmanager: --diff: no manager answers at 127.0.0.1:"), "\(none.stderr)")
                // Port 0: nothing to ask.
                write(args: "v2", size: 3, port: 0)
                let zero = try await runCommand(managerBinary, ["--check-config", "--diff", "-conf=\(file)"])
                #expect(zero.status == 2)
                #expect(zero.stderr.contains("the config's port is 0"))
                // --diff without --check-config is a usage error.
                let alone = try await runCommand(managerBinary, ["--diff", "-conf=\(file)"])
                #expect(alone.status == 64 || alone.status == 2)
                #expect(alone.stderr.contains("--diff"))
            }
        }
    }
}
