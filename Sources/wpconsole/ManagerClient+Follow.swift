import AsyncHTTPClient
import NIOCore

/// How following a manager's event stream ended.
enum FollowOutcome: Equatable, Sendable {
    /// Ctrl-C (the task was cancelled): the normal end.
    case interrupted
    /// The manager ended the stream (it shut down, say).
    case ended
    /// The manager refused: status and body, shown like any other reply.
    case refused(ManagerOutcome)
    /// No connection, or it broke.
    case unreachable(reason: String)
}

extension ManagerClient {
    /// Follows `GET path` (a Server-Sent Events stream) from `host`, calling
    /// `each` with the data of every event as it comes, until the stream ends
    /// or the task is cancelled. Never throws.
    /// `opened` is called once the manager has accepted the stream (it is
    /// subscribed by then: no event after this is missed).
    func follow(
        _ path: String, from host: HostAddress, opened: @Sendable () -> Void = {}, each: @Sendable (String) -> Void
    ) async -> FollowOutcome {
        var request = HTTPClientRequest(url: host.url(path))
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "wpconsole")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        do {
            let response = try await http.execute(request, deadline: .distantFuture)
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: Self.maximumBodySize)
                return .refused(.reply(status: Int(response.status.code), body: String(buffer: body)))
            }
            opened()
            var parser = ServerSentEvents()
            for try await chunk in response.body {
                for data in parser.feed(chunk.readableBytesView) { each(data) }
            }
            return Task.isCancelled ? .interrupted : .ended
        } catch {
            if Task.isCancelled { return .interrupted }
            return .unreachable(reason: Self.reason(error))
        }
    }
}
