import Foundation
import Glibc

/// A minimal HTTP/1.1 client on one kept-alive TCP connection to
/// 127.0.0.1: enough for the manager's API (answers with Content-Length),
/// and cheap enough that it adds next to nothing to a measured round trip.
final class HTTPConnection {
    private let port: Int
    private var fd: Int32
    private var buffer: [UInt8] = []
    /// Sent as `Authorization: Bearer TOKEN` when set.
    private let token: String?

    init(port: Int, token: String? = nil) throws {
        self.port = port
        self.token = token
        fd = try Self.connect(port: port)
    }

    private static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw BenchError("connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    deinit { close(fd) }

    /// Sends one request and reads the whole answer. A connection the
    /// manager closed while it was idle (its `http_timeout`) is opened
    /// again and the request sent once more, as HTTP clients do.
    func request(_ method: String, _ path: String) throws -> (status: Int, body: String) {
        do {
            return try exchange(method, path)
        } catch let closed as ConnectionClosed where closed.beforeAnswer {
            close(fd)
            buffer = []
            fd = try Self.connect(port: port)
            return try exchange(method, path)
        }
    }

    private struct ConnectionClosed: Error, CustomStringConvertible {
        let beforeAnswer: Bool
        let description: String
    }

    private func exchange(_ method: String, _ path: String) throws -> (status: Int, body: String) {
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        let head = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)\r\n".utf8)
        var sent = 0
        while sent < head.count {
            let n = head[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else {
                let closed = errno == EPIPE || errno == ECONNRESET
                let text = "send: \(String(cString: strerror(errno)))"
                if closed { throw ConnectionClosed(beforeAnswer: buffer.isEmpty, description: text) }
                throw BenchError(text)
            }
            sent += n
        }
        // Headers.
        var headerEnd: Int?
        while true {
            if let end = find([13, 10, 13, 10]) { headerEnd = end; break }
            try fill()
        }
        let headerText = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        let lines = headerText.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        guard
            let lengthLine = lines.first(where: { $0.lowercased().hasPrefix("content-length:") }),
            let length = Int(lengthLine.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { throw BenchError("answer without Content-Length: \(headerText)") }
        let bodyStart = headerEnd! + 4
        while buffer.count < bodyStart + length { try fill() }
        let body = String(decoding: buffer[bodyStart..<(bodyStart + length)], as: UTF8.self)
        buffer.removeFirst(bodyStart + length)
        return (status, body)
    }

    /// GET `path` as JSON.
    func json(_ path: String) throws -> [String: Any] {
        let separator = path.contains("?") ? "&" : "?"
        let (status, body) = try request("GET", path + separator + "format=json")
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw BenchError("GET \(path): \(status) \(body)")
        }
        return object
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] {
            if Array(buffer[i..<(i + pattern.count)]) == pattern { return i }
        }
        return nil
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 || (n < 0 && errno == ECONNRESET) {
            let text = n == 0 ? "connection closed" : "recv: \(String(cString: strerror(errno)))"
            throw ConnectionClosed(beforeAnswer: buffer.isEmpty, description: text)
        }
        guard n > 0 else { throw BenchError("recv: \(String(cString: strerror(errno)))") }
        buffer += chunk[..<n]
    }
}
