import Foundation
import Testing

/// A unix datagram socket the test binds, as systemd does for `NOTIFY_SOCKET`
/// (a path, or `@name` in the abstract namespace).
final class NotifyListener: @unchecked Sendable {
    let name: String
    let fd: Int32

    init(name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(name.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path[0] == 0 ? 0 : 1))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { throw HarnessError("cannot bind \(name): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(fd)
        if name.hasPrefix("/") { unlink(name) }
    }

    /// Every datagram waiting now.
    func receiveAll() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0 { return messages }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
    }
}

extension IntegrationSuite {
    /// sd_notify: READY=1 once HTTP listens, WATCHDOG=1 at half of
    /// WATCHDOG_USEC, STOPPING=1 at shutdown.
    @Suite struct SystemdNotifyTests {
        @Test func readyWatchdogAndStoppingReachTheNotifySocket() async throws {
            let ws = try Workspace()
            let listener = try NotifyListener(name: ws.path + "/notify")
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {}}"#)
            let m = try Manager(
                ws, config: config, environment: ["NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "200000"])
            var messages: [String] = []
            // Finished (no process left) also when something below throws.
            do {
                // The watchdog beats from the start; the first other message says ready.
                let ready = await eventually {
                    messages += listener.receiveAll()
                    return messages.contains { $0 != "WATCHDOG=1" }
                }
                #expect(ready, "\(m.stderr.text)")
                let first = messages.first { $0 != "WATCHDOG=1" }
                #expect(first?.split(separator: "\n").first == "READY=1", "\(messages)")
                #expect(first?.contains("STATUS=HTTP control API listening on 127.0.0.1:") == true)
                // Sent once HTTP listens: its STATUS names the address the log names.
                try await m.waitUntilListening()
                #expect(first?.hasSuffix("STATUS=HTTP control API listening on 127.0.0.1:\(m.port)") == true, "\(first ?? "")")
                #expect(try await m.get("/list").body == "Work\n")
                // Every 100 ms, beats.
                #expect(await eventually {
                    messages += listener.receiveAll()
                    return messages.filter { $0 == "WATCHDOG=1" }.count >= 3
                }, "\(messages)")
                // Workers do not inherit the variables.
                let pid = try await m.waitForWorkers("Work", count: 1)[0]
                let environment = ProcessTable.environment(pid)
                #expect(!environment.contains("NOTIFY_SOCKET="))
                #expect(!environment.contains("WATCHDOG_USEC="))
                // SIGTERM: STOPPING=1, then the exit.
                kill(m.pid, SIGTERM)
                #expect(await eventually {
                    messages += listener.receiveAll()
                    return messages.contains("STOPPING=1")
                }, "\(messages)")
                try await m.finish()
            } catch {
                try? await m.finish()
                throw error
            }
            messages += listener.receiveAll()
            #expect(messages.filter { $0.hasPrefix("READY=1") }.count == 1)
            #expect(messages.filter { $0 == "STOPPING=1" }.count == 1)
            #expect(messages.firstIndex(of: "STOPPING=1")! > messages.firstIndex { $0.hasPrefix("READY=1") }!)
        }

        @Test func abstractSocketAndAWatchdogMeantForAnotherProcess() async throws {
            let ws = try Workspace()
            let listener = try NotifyListener(name: "@wpm-it-\(UUID().uuidString.prefix(8))")
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
            try await withManager(
                ws, config: config, arguments: ["-conf=\(config)", "--verbose"],
                environment: ["NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "100000", "WATCHDOG_PID": "1"]
            ) { m in
                var messages: [String] = []
                #expect(await eventually {
                    messages += listener.receiveAll()
                    return messages.contains { $0.hasPrefix("READY=1\n") }
                })
                let line = m.stderr.lines.first { $0.contains("systemd notifications to \(listener.name)") }
                #expect(line != nil, "\(m.stderr.text)")
                #expect(line?.contains("watchdog") == false)
                kill(m.pid, SIGTERM)
                #expect(await eventually {
                    messages += listener.receiveAll()
                    return messages.contains("STOPPING=1")
                })
                #expect(!messages.contains("WATCHDOG=1"))
            }
        }

        /// `resources/systemd/wpmanager.service` passes `systemd-analyze verify`
        /// (with ExecStart at the built binary); a broken unit does not.
        @Test func theUnitFileVerifies() async throws {
            let analyze = try #require(onPath("systemd-analyze"), "systemd-analyze is missing (scripts/install-deps.sh installs systemd)")
            let ws = try Workspace()
            let unit = try String(contentsOfFile: repositoryRoot + "/resources/systemd/wpmanager.service", encoding: .utf8)
            #expect(unit.contains("\nType=notify\n"))
            #expect(unit.contains("\nExecStart=/usr/local/bin/wpmanager -conf="))
            let good = ws.path + "/wpmanager.service"
            let broken = ws.path + "/broken.service"
            _ = FileManager.default.createFile(
                atPath: good, contents: Data(unit.replacingOccurrences(of: "/usr/local/bin/wpmanager", with: managerBinary).utf8))
            _ = FileManager.default.createFile(
                atPath: broken, contents: Data("[Service]\nType=notifyy\nExecStart=/bin/true\n".utf8))
            let result = try await runCommand(analyze, ["verify", good])
            #expect(result.status == 0)
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            let bad = try await runCommand(analyze, ["verify", broken])
            #expect(bad.stderr.contains("Failed to parse service type"), "\(bad.stderr)")
        }

        @Test func anUnusableNotifySocketIsAWarningNotAFailure() async throws {
            let ws = try Workspace()
            let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
            try await withManager(ws, config: config, environment: ["NOTIFY_SOCKET": "relative/notify"]) { m in
                let reply = try await m.get("/list")
                #expect(m.stderr.text.contains("systemd notifications disabled: NOTIFY_SOCKET \"relative/notify\""))
                #expect(reply.status == 200)
            }
        }
    }
}
