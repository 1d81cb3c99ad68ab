import Foundation
import Testing

@testable import Supervisor

/// A unix datagram socket bound to `name` (a path, or `@name` for the
/// abstract namespace), as systemd's notify socket is.
final class NotifySocket: @unchecked Sendable {
    let name: String
    let fd: Int32

    init(name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let address = try #require(SystemdNotifier.address(for: name))
        let rc = address.withUnsafeBytes { bytes in
            var storage = sockaddr_un()
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(bytes.count)) }
            }
        }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(fd)
        if name.hasPrefix("/") { unlink(name) }
    }

    /// The next datagram, or nil after `timeout` ms.
    func receive(timeout: Int32 = 20_000) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeout) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}

@Suite struct SystemdNotifierTests {
    @Test func noNotifySocketMeansNoNotifier() throws {
        #expect(try SystemdNotifier(environment: [:]) == nil)
        #expect(try SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
    }

    @Test(arguments: ["relative/path", "x", String(repeating: "/a", count: 60), "@" + String(repeating: "b", count: 108)])
    func anUnusableSocketNameIsRefused(name: String) {
        #expect(throws: SystemdNotifierError.self) { try SystemdNotifier(environment: ["NOTIFY_SOCKET": name]) }
    }

    @Test func addressesOfPathsAndAbstractNames() throws {
        let path = try #require(SystemdNotifier.address(for: "/run/x"))
        #expect(Array(path.dropFirst(2)) == Array("/run/x\0".utf8))
        let abstract = try #require(SystemdNotifier.address(for: "@wpm/notify"))
        #expect(Array(abstract.dropFirst(2)) == [0] + Array("wpm/notify".utf8))
        #expect(SystemdNotifier.address(for: "@" + String(repeating: "b", count: 107))?.count == 110)
    }

    @Test func watchdogIntervalIsHalfTheTimeoutForThisProcessOnly() {
        #expect(SystemdNotifier.watchdogInterval(usec: "2000000", watchdogPid: nil, pid: 42) == .seconds(1))
        #expect(SystemdNotifier.watchdogInterval(usec: "2000000", watchdogPid: "42", pid: 42) == .seconds(1))
        #expect(SystemdNotifier.watchdogInterval(usec: "2000000", watchdogPid: "", pid: 42) == .seconds(1))
        #expect(SystemdNotifier.watchdogInterval(usec: "2000000", watchdogPid: "43", pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: "2000000", watchdogPid: "x", pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: "0", watchdogPid: nil, pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: "-5", watchdogPid: nil, pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: "soon", watchdogPid: nil, pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: nil, watchdogPid: nil, pid: 42) == nil)
    }

    @Test(arguments: ["path", "abstract"])
    func messagesReachABoundSocket(kind: String) throws {
        let unique = UUID().uuidString.prefix(8)
        let name = kind == "path" ? NSTemporaryDirectory() + "wpm-notify-\(unique)" : "@wpm-notify-\(unique)"
        let socket = try NotifySocket(name: name)
        let notifier = try #require(try SystemdNotifier(environment: ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "500000"]))
        #expect(notifier.watchdogInterval == .milliseconds(250))
        #expect(notifier.notify("READY=1\nSTATUS=up"))
        #expect(notifier.notify("WATCHDOG=1"))
        #expect(socket.receive() == "READY=1\nSTATUS=up")
        #expect(socket.receive() == "WATCHDOG=1")
    }

    @Test func aSocketNobodyListensOnIsNoError() throws {
        let notifier = try #require(try SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"]))
        #expect(!notifier.notify("READY=1"))
    }
}
