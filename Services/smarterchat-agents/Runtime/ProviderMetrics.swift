import Prometheus

/// What the AI provider costs and how it behaves, in the process's Prometheus registry:
///
/// - `smarterchat_ai_provider_requests_total{outcome}`: HTTP requests to the provider, each
///   try counted, by outcome (`ok`, or the ``ProviderError/Kind`` of a failed try:
///   `rate_limited`, `timeout`, `unavailable`, ...);
/// - `smarterchat_ai_provider_request_duration_seconds`: each request's time, failed ones too;
/// - `smarterchat_ai_tokens_total{kind}`: the tokens the provider billed (`prompt`,
///   `completion`), as its `usage` says: the platform's AI bill.
///
/// Not labelled by organization or agent (unbounded): per-agent figures live in analytics.
final class ProviderMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let duration: DurationHistogram
    private let promptTokens: Counter
    private let completionTokens: Counter

    /// 50 ms to 2 minutes: a completion takes from a fraction of a second to a minute.
    static let buckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        .seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(60), .seconds(120),
    ]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        duration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "smarterchat", subsystem: "ai_provider", metricName: "request_duration", unitName: "seconds",
                helpText: "Time of each HTTP request to the AI provider, failed ones included."),
            buckets: Self.buckets)
        let tokens = MetricNameDescriptor(
            namespace: "smarterchat", subsystem: "ai", metricName: "tokens", unitName: "total",
            helpText: "Tokens the AI provider billed, by kind.")
        promptTokens = registry.makeCounter(descriptor: tokens, labels: [("kind", "prompt")])
        completionTokens = registry.makeCounter(descriptor: tokens, labels: [("kind", "completion")])
    }

    /// One request to the provider: its outcome (`ok` or an error kind) and time.
    func request(outcome: String, duration: Duration) {
        // The registry hands back the outcome's existing counter: a lookup per provider call.
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "smarterchat", subsystem: "ai_provider", metricName: "requests", unitName: "total",
                helpText: "HTTP requests to the AI provider, each try counted, by outcome."),
            labels: [("outcome", outcome)]
        ).increment()
        self.duration.record(duration)
    }

    /// The usage of a completion.
    func tokens(prompt: Int, completion: Int) {
        promptTokens.increment(by: Int64(max(0, prompt)))
        completionTokens.increment(by: Int64(max(0, completion)))
    }
}
