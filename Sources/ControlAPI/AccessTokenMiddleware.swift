import HTTPTypes
import Hummingbird

/// Lets a request through only with `Authorization: Bearer TOKEN` (except
/// the dashboard's page and assets, `Dashboard.paths`); anything else gets 401 with `WWW-Authenticate: Bearer`. The token is compared in
/// time that does not depend on how much of it matches.
struct AccessTokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // The dashboard's page and assets hold no data: the page asks for the token.
        if request.method == .get, Dashboard.isPublic(request.uri.path) { return try await next(request, context) }
        // The probes answer without a token (they check one that is sent).
        if HealthRoutes.openPaths.contains(Self.withoutTrailingSlash(request.uri.path)) {
            return try await next(request, context)
        }
        if let refusal = refusal(request, required: true) { return refusal }
        return try await next(request, context)
    }

    /// The 401 for a request without the right token; nil when it may go
    /// on. With `required: false`, no `Authorization` header at all is fine
    /// (the probes), but a wrong one is not.
    func refusal(_ request: Request, required: Bool = false) -> Response? {
        guard let header = request.headers[.authorization] else {
            guard required else { return nil }
            return refuse(request, "this manager needs a token: send the header \"Authorization: Bearer TOKEN\"")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return refuse(request, "the Authorization header must be \"Bearer TOKEN\"")
        }
        guard Self.constantTimeEqual(Array(parts[1].utf8), token) else {
            return refuse(request, "wrong token", invalid: true)
        }
        return nil
    }

    static func withoutTrailingSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    private func refuse(_ request: Request, _ message: String, invalid: Bool = false) -> Response {
        var response = Reply.failure(message, goStyle: true, status: .unauthorized, json: Reply.wantsJSON(request))
        response.headers[.wwwAuthenticate] = invalid ? #"Bearer realm="wpmanager", error="invalid_token""# : #"Bearer realm="wpmanager""#
        return response
    }

    /// Whether `given` equals `expected`, looking at every byte of `given`
    /// whatever the outcome (the time tells only the length of `given`).
    static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return false }
        var difference = UInt(bitPattern: given.count ^ expected.count)
        for (index, byte) in given.enumerated() {
            difference |= UInt(byte ^ expected[index % expected.count])
        }
        return difference == 0
    }
}
