import CoreMetrics
import HTTPTypes
import Hummingbird
import Synchronization

/// Counts HTTP requests by route template (`/tasks/{name}`, not the raw
/// path, so task names make no new series; `unmatched` for unknown paths),
/// method and status code, as `wpm_http_requests_total`. A streamed reply
/// (`/events`) counts when it starts.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    static let name = "wpm_http_requests_total"

    private let counters: CounterCache

    init(factory: any MetricsFactory) {
        counters = CounterCache(factory: factory)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            let response = try await next(request, context)
            count(route: context.endpointPath, method: request.method, status: response.status)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            count(route: context.endpointPath, method: request.method, status: status)
            throw error
        }
    }

    private func count(route: String?, method: HTTPRequest.Method, status: HTTPResponse.Status) {
        let route = route.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        counters.counter(CounterCache.Key(route: route, method: method.rawValue, code: status.code)).increment()
    }
}

/// The request counters, made on first use, one per route, method and code.
final class CounterCache: Sendable {
    struct Key: Hashable {
        let route: String
        let method: String
        let code: Int
    }

    private let factory: any MetricsFactory
    private let counters = Mutex<[Key: Counter]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func counter(_ key: Key) -> Counter {
        counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: HTTPMetricsMiddleware.name,
                dimensions: [("route", key.route), ("method", key.method), ("code", String(key.code))], factory: factory)
            counters[key] = counter
            return counter
        }
    }
}
