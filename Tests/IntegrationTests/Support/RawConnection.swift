import Foundation

/// A plain TCP connection to the manager, for clients that misbehave: send
/// nothing, send a byte at a time, announce more than they send. (`send`
/// may come from another task than `poll`: it touches no state.)
final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    private(set) var received = Data()
    private(set) var closedByPeer = false

    init(host: String = "127.0.0.1", port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw HarnessError("connect: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Sends `text`; false once the peer has closed (EPIPE, ECONNRESET).
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Sends `bytes` whole (any bytes, not only text); false once the peer
    /// has closed, which a server may do before the end of a bad request.
    @discardableResult
    func send(bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Ends what this side sends (the peer reads an end of stream).
    func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads whatever has arrived without waiting; notes an end of stream.
    func poll() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !closedByPeer {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                closedByPeer = true
            } else {
                return
            }
        }
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Polls until the peer closed the connection.
    func waitUntilClosed(timeout: Duration = .seconds(20)) async -> Bool {
        await eventually(timeout: timeout) {
            poll()
            return closedByPeer
        }
    }
}
