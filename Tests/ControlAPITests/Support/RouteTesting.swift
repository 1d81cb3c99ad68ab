import ControlAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting

/// An answer of the routes: status, body, headers.
struct RouteReply: Sendable {
    let status: HTTPResponse.Status
    let body: String
    let headers: HTTPFields

    /// The body as a JSON object (empty when it is none).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
}

/// The routes of `ControlRoutes` in front of a fake supervisor, asked
/// without a socket (HummingbirdTesting's router framework).
struct Routes {
    let supervisor: FakeSupervisor

    init(_ tasks: [String: FakeSupervisor.Task], maxCardinality: Int = 20, answer: Duration? = .milliseconds(1)) {
        supervisor = FakeSupervisor(tasks, maxCardinality: maxCardinality, answer: answer)
    }

    func request(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:]) async throws -> RouteReply {
        let app = Application(router: ControlRoutes.router(for: supervisor))
        return try await app.test(.router) { client in
            try await client.execute(uri: uri, method: method, headers: headers) { response in
                RouteReply(status: response.status, body: String(buffer: response.body), headers: response.headers)
            }
        }
    }

    func get(_ uri: String) async throws -> RouteReply { try await request(.get, uri) }

    /// With `Accept: application/json`.
    func json(_ method: HTTPRequest.Method, _ uri: String) async throws -> RouteReply {
        try await request(method, uri, headers: [.accept: "application/json"])
    }
}
