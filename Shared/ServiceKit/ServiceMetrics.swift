import Metrics
import Prometheus

/// The process's metrics: swift-metrics backed by a Prometheus registry.
///
/// Each service answers the `Metrics` RPC with ``exposition()``; the gateway's `/metrics`
/// concatenates every service's exposition, each series labelled with its `service`.
public struct ServiceMetrics: Sendable {
    /// The registry every swift-metrics call of this process lands in.
    public let registry: PrometheusCollectorRegistry

    /// Creates the registry and installs it as the swift-metrics backend. Call once, from `main`.
    public static func bootstrap() -> ServiceMetrics {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return ServiceMetrics(registry: registry)
    }

    /// A registry that is not installed process-wide, for tests and tools.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// The Prometheus text exposition of every metric recorded so far.
    public func exposition() -> String {
        registry.emitToString()
    }
}
