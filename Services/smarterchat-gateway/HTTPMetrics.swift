import HTTPTypes
import Hummingbird
import Prometheus
import Synchronization

/// The gateway's HTTP figures, in its own Prometheus registry (merged into `GET /metrics` with
/// `service="gateway"`):
///
/// - `smarterchat_http_requests_total{route, method, status}`: answered requests;
/// - `smarterchat_http_request_duration_seconds{route, method}`: from the request's head to
///   its response's head (a stream's lifetime is not counted, only its start);
/// - `smarterchat_http_requests_in_flight`: requests being handled now;
/// - `smarterchat_gateway_rate_limited_total{limiter}`: requests a ``CallbackRateLimiter``
///   refused, by limiter (`callback_channel`, `callback_address`, `webchat_session_start`,
///   `webchat_address`, `webchat_chat`).
///
/// `route` is the router's pattern (`/api/v1/leads/{id}`), never the path itself, so ids do
/// not multiply the series; a path no route matches is `NotFound`, a method outside the usual
/// seven `OTHER`. Handles are made once per
/// series and kept, so a request costs two dictionary lookups under a lock and the increments.
final class HTTPMetrics: Sendable {
    private struct SeriesKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct RouteKey: Hashable {
        var route: String
        var method: String
    }

    /// Half a millisecond to half a minute: an answer from a cache takes well under a
    /// millisecond, a long poll up to 25 s.
    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    private let registry: PrometheusCollectorRegistry
    private let counters = Mutex<[SeriesKey: Prometheus.Counter]>([:])
    private let histograms = Mutex<[RouteKey: DurationHistogram]>([:])
    let inFlight: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.inFlight = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "smarterchat", subsystem: "http", metricName: "requests_in_flight", unitName: "",
                helpText: "Requests the gateway is handling now."))
    }

    /// Counts one answered request and its duration.
    func record(route: String, method: HTTPRequest.Method, status: Int, duration: Duration) {
        let key = SeriesKey(route: route, method: Self.label(method), status: status)
        Self.cached(counters, key) {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "smarterchat", subsystem: "http", metricName: "requests", unitName: "total",
                    helpText: "Requests the gateway answered, by route, method and status."),
                labels: [("route", route), ("method", key.method), ("status", String(status))])
        }.increment()
        Self.cached(histograms, RouteKey(route: route, method: key.method)) {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(
                    namespace: "smarterchat", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                    helpText: "From a request's head to its response's head, by route and method."),
                labels: [("route", route), ("method", key.method)], buckets: Self.buckets)
        }.record(duration)
    }

    /// The method's label: a method no route serves is `OTHER`, so a client inventing methods
    /// cannot multiply the series.
    static func label(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: method.rawValue
        default: "OTHER"
        }
    }

    /// `cache[key]`, made by `make` the first time.
    private static func cached<Key: Hashable & Sendable, Handle: Sendable>(
        _ cache: borrowing Mutex<[Key: Handle]>, _ key: Key, _ make: @Sendable () -> Handle
    ) -> Handle {
        cache.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make()
            handles[key] = handle
            return handle
        }
    }

    /// The counter of `limiter`'s refusals.
    func rateLimited(_ limiter: String) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "smarterchat", subsystem: "gateway", metricName: "rate_limited", unitName: "total",
                helpText: "Requests refused with 429 by a rate limiter of this gateway, by limiter."),
            labels: [("limiter", limiter)])
    }
}

/// Records every request in ``HTTPMetrics``; the first middleware, so it sees the status every
/// other one settled on (an error still thrown past it counts with its own status, else 500).
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let metrics: HTTPMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        do {
            let response = try await next(request, context)
            metrics.record(
                route: context.endpointPath ?? "NotFound", method: request.method, status: response.status.code,
                duration: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.record(
                route: context.endpointPath ?? "NotFound", method: request.method, status: status,
                duration: ContinuousClock.now - started)
            throw error
        }
    }
}
