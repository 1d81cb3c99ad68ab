import CoreMetrics
import Hummingbird
import Prometheus
import Supervisor

/// `GET /metrics`: every metric of the manager in the Prometheus text format.
/// The registry is the one the supervisor's metrics factory writes to (made
/// in `main`, or a fresh one per router, so tests never share one).
public struct MetricsEndpoint: Sendable {
    static let path = "/metrics"
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    let process: ProcessMetrics

    /// A factory writing to `registry`, with histogram buckets fit for the
    /// stall detection lag (1 ms to 5 s).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[SupervisorMetrics.Name.stallLag] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(5),
        ]
        self.factory = factory
        self.process = ProcessMetrics(factory: factory)
    }

    func add(to router: Router<BasicRequestContext>, supervisor: any SupervisorControl) {
        router.get(RouterPath(Self.path)) { _, _ in
            await supervisor.refreshMetrics()
            process.update()
            return Reply.body(registry.emitToString(), status: .ok, type: Self.contentType)
        }
    }
}
