import FoundationEssentials
import Glibc

/// systemd's readiness protocol without libsystemd: datagrams such as
/// `READY=1`, `WATCHDOG=1` and `STOPPING=1` sent to the unix socket named by
/// `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket). Under a
/// watchdog (`$WATCHDOG_USEC`, meant for this process when `$WATCHDOG_PID` is
/// unset or names it), `watchdogInterval` is half the timeout.
public final class SystemdNotifier: Sendable {
    public static let variables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// The socket as `$NOTIFY_SOCKET` named it.
    public let socketName: String
    public let watchdogInterval: Duration?
    private let fd: Int32
    private let address: [UInt8]

    /// Nil when `environment` names no notify socket; throws a message when
    /// it names one that cannot be used.
    public init?(environment: [String: String], pid: pid_t = getpid()) throws(SystemdNotifierError) {
        guard let name = environment["NOTIFY_SOCKET"], !name.isEmpty else { return nil }
        guard let address = Self.address(for: name) else {
            throw SystemdNotifierError(description: "NOTIFY_SOCKET \"\(name)\" is not a unix socket path or @name that fits")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw SystemdNotifierError(description: "cannot make a socket for NOTIFY_SOCKET: \(String(cString: strerror(errno)))")
        }
        self.socketName = name
        self.fd = fd
        self.address = address
        self.watchdogInterval = Self.watchdogInterval(
            usec: environment["WATCHDOG_USEC"], watchdogPid: environment["WATCHDOG_PID"], pid: pid)
    }

    deinit { close(fd) }

    /// Removes the variables, so that workers (children) do not inherit them.
    public static func unsetEnvironment() {
        for name in variables { unsetenv(name) }
    }

    /// Half of `WATCHDOG_USEC` when the watchdog is meant for `pid`.
    static func watchdogInterval(usec: String?, watchdogPid: String?, pid: pid_t) -> Duration? {
        guard let usec, let micros = UInt64(usec), micros > 0 else { return nil }
        if let watchdogPid, !watchdogPid.isEmpty, pid_t(watchdogPid) != pid { return nil }
        return .microseconds(Int64(clamping: micros / 2))
    }

    /// The `sockaddr_un` bytes for `name`: a path, or `@name` for the
    /// abstract namespace (leading NUL, no terminating one). Nil if it does not fit.
    static func address(for name: String) -> [UInt8]? {
        var path = Array(name.utf8)
        guard path.first == UInt8(ascii: "/") || path.first == UInt8(ascii: "@") else { return nil }
        if path[0] == UInt8(ascii: "@") {
            path[0] = 0
        } else {
            path.append(0)
        }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard path.count <= capacity else { return nil }
        var family = sa_family_t(AF_UNIX)
        let header = withUnsafeBytes(of: &family) { Array($0) }
        return header + path
    }

    /// Sends one datagram (`KEY=VALUE` lines); false when it could not be sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        let message = Array(state.utf8)
        let sent = address.withUnsafeBytes { addressBytes in
            var storage = sockaddr_un()
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: addressBytes) }
            return withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    message.withUnsafeBytes {
                        sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, socklen_t(addressBytes.count))
                    }
                }
            }
        }
        return sent == message.count
    }
}

public struct SystemdNotifierError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
