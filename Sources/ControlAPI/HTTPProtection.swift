import Hummingbird
import HummingbirdCore
import NIOCore

/// What protects the HTTP API: the optional bearer token, the size limits of
/// a request and the connection timeouts (README "Security").
public struct HTTPProtection: Sendable {
    /// Longest request target (path and query), in bytes: longer gets 414.
    public static let maxURIBytes = 8 * 1024
    /// Largest request body, in bytes: larger gets 413.
    public static let maxBodyBytes = 64 * 1024

    /// Every request must carry `Authorization: Bearer TOKEN`; nil: no token.
    public var token: String?
    /// How long a connection may stay idle (or a request head take to
    /// arrive), and how long a request may take to arrive once its head has.
    public var timeout: Duration

    public init(token: String? = nil, timeout: Duration = .seconds(10)) {
        self.token = token
        self.timeout = timeout
    }

    /// Adds the middlewares, outermost first: size limits, then the token.
    /// Call before any route is added (Hummingbird wraps routes as they come).
    func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: RequestLimitMiddleware(maxURIBytes: Self.maxURIBytes, maxBodyBytes: Self.maxBodyBytes))
        if let token { router.add(middleware: AccessTokenMiddleware(token: token)) }
    }

    /// The HTTP/1 server with the timeouts.
    public var server: HTTPServerBuilder {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let amount = TimeAmount.nanoseconds(nanoseconds)
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestDeadlineHandler(timeout: amount)], idleTimeout: amount))
    }
}
