import AsyncHTTPClient
import Glibc
import NIOCore
import NIOPosix

/// Sends `ManagerRequest`s to managers over HTTP (AsyncHTTPClient) and turns
/// whatever happens into a `ManagerOutcome`: this never throws.
///
/// Managers are reached directly: no proxy, whatever `http_proxy` says (the
/// client reads no proxy variables, and none is configured). Connecting
/// gives up after `connectTimeout`; a reply must be complete within
/// `replyTimeout` (stopping tasks waits for their grace periods).
struct ManagerClient: Sendable {
    static let connectTimeout: TimeAmount = .seconds(3)
    static let replyTimeout: TimeAmount = .seconds(60)
    /// Bodies are text; anything larger than this is not a manager's reply.
    static let maximumBodySize = 16 << 20

    let http: HTTPClient
    /// Sent as `Authorization: Bearer TOKEN` to every manager, if set.
    let token: String?

    init(token: String? = nil) {
        self.token = token
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: Self.connectTimeout),
            proxy: nil)
        // A refused connection is an answer: the manager is down. (By default
        // the pool retries until the connect timeout.)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func send(_ request: ManagerRequest, to host: HostAddress) async -> ManagerOutcome {
        var httpRequest = HTTPClientRequest(url: host.url(request.path))
        httpRequest.method = .init(rawValue: request.method.rawValue)
        httpRequest.headers.add(name: "User-Agent", value: "wpconsole")
        httpRequest.headers.add(name: "Accept", value: "text/plain")
        if let token { httpRequest.headers.add(name: "Authorization", value: "Bearer \(token)") }
        do {
            let response = try await http.execute(httpRequest, timeout: Self.replyTimeout)
            let body = try await response.body.collect(upTo: Self.maximumBodySize)
            return .reply(status: Int(response.status.code), body: String(buffer: body))
        } catch {
            return .unreachable(reason: Self.reason(error))
        }
    }

    /// Closes the connections and stops the client; call once, at the end.
    func shutdown() async {
        try? await http.shutdown()
    }

    /// A short phrase for what went wrong.
    static func reason(_ error: any Error) -> String {
        if error is CancellationError { return "interrupted" }
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled: return "interrupted"
            case .connectTimeout: return "connection timed out"
            case .readTimeout, .deadlineExceeded: return "no reply in time"
            case .remoteConnectionClosed: return "connection closed before the reply was complete"
            default: return "\(error)"
            }
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil, error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return "unknown host"
            }
            if let first = error.connectionErrors.first { return reason(first.error) }
            return "cannot connect"
        }
        if let error = error as? IOError {
            return describe(errno: error.errnoCode)
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "connection timed out"
        }
        if error is NIOTooManyBytesError { return "reply too large" }
        return "\(error)"
    }

    private static func describe(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case ETIMEDOUT: return "connection timed out"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
