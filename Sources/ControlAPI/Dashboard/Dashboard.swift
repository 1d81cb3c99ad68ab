import HTTPTypes
import Hummingbird

/// The web dashboard: `/` (the page), `/ui/app.js`, `/ui/app.css` and
/// `/ui/config.json` (whether the API needs a token, which task actions it
/// has). Everything is built into the binary and served without the token:
/// the page holds no data; every request it makes for data sends the token.
enum Dashboard {
    static let paths = ["/", "/ui", "/ui/app.js", "/ui/app.css", "/ui/config.json"]
    /// The routes the page offers as buttons when this manager has them.
    static let optionalActions = ["restart", "pause", "resume"]

    /// Whether `path` is one of the dashboard's own (served without the token).
    static func isPublic(_ path: String) -> Bool {
        paths.contains(path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path)
    }

    /// Nothing but this origin: no inline script, no CDN, no framing.
    static let securityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"

    static func add(to router: Router<BasicRequestContext>, token: Bool, routePaths: [String]) {
        let actions = optionalActions.filter { routePaths.contains("/tasks/:name/\($0)") }
        let config = #"{"actions":[\#(actions.map { "\"\($0)\"" }.joined(separator: ","))],"token":\#(token)}"#
        let assets: [(String, String, String)] = [
            ("/", "text/html; charset=utf-8", page), ("/ui", "text/html; charset=utf-8", page),
            ("/ui/app.js", "text/javascript; charset=utf-8", script), ("/ui/app.css", "text/css; charset=utf-8", style),
            ("/ui/config.json", "application/json", config + "\n"),
        ]
        for (path, type, body) in assets {
            let buffer = ByteBuffer(string: body)
            router.get(RouterPath(path)) { _, _ in
                Response(
                    status: .ok,
                    headers: [
                        .contentType: type, .cacheControl: "no-cache", .contentSecurityPolicy: securityPolicy,
                        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                    ],
                    body: ResponseBody(byteBuffer: buffer))
            }
        }
    }
}
