import HTTPTypes
import Prometheus
import Testing

@testable import GatewayService

@Suite("The gateway's HTTP metrics")
struct HTTPMetricsTests {
    @Test("requests are counted by route pattern, method and status, and timed by route and method")
    func countsAndDurations() {
        let registry = PrometheusCollectorRegistry()
        let metrics = HTTPMetrics(registry: registry)
        metrics.record(route: "/api/v1/leads/{id}", method: .get, status: 200, duration: .microseconds(700))
        metrics.record(route: "/api/v1/leads/{id}", method: .get, status: 200, duration: .milliseconds(3))
        metrics.record(route: "/api/v1/leads/{id}", method: .get, status: 404, duration: .microseconds(300))
        metrics.record(route: "NotFound", method: .post, status: 404, duration: .microseconds(100))
        for name in ["BREW", "PROPFIND", "X-\(Int.random(in: 0...999))"] {
            metrics.record(
                route: "NotFound", method: HTTPRequest.Method(name)!, status: 404, duration: .microseconds(90))
        }
        let text = registry.emitToString()
        #expect(
            text.contains(#"smarterchat_http_requests_total{route="/api/v1/leads/{id}",method="GET",status="200"} 2"#))
        #expect(
            text.contains(#"smarterchat_http_requests_total{route="/api/v1/leads/{id}",method="GET",status="404"} 1"#))
        #expect(text.contains(#"smarterchat_http_requests_total{route="NotFound",method="POST",status="404"} 1"#))
        // Invented methods share one series.
        #expect(text.contains(#"smarterchat_http_requests_total{route="NotFound",method="OTHER",status="404"} 3"#))
        #expect(!text.contains("BREW") && !text.contains("PROPFIND"))
        // One histogram per route and method, whatever the status: 3 requests, one under 0.5 ms,
        // two under 1 ms, all three under 5 ms.
        let series = #"smarterchat_http_request_duration_seconds_bucket{route="/api/v1/leads/{id}",method="GET",le="#
        #expect(text.contains(series + #""0.0005"} 1"#))
        #expect(text.contains(series + #""0.001"} 2"#))
        #expect(text.contains(series + #""0.005"} 3"#))
        #expect(
            text.contains(
                #"smarterchat_http_request_duration_seconds_count{route="/api/v1/leads/{id}",method="GET"} 3"#))
        #expect(text.contains("# TYPE smarterchat_http_requests_in_flight gauge"))
    }

    @Test("a limiter's refusals are counted under its name; admitted calls are not")
    func rateLimited() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = HTTPMetrics(registry: registry)
        let routes = WebchatRoutes(
            conversations: WebhookRejectionTests.FakeIngest().client, metrics: metrics)
        for _ in 0..<20 { try routes.sessionStarts.admit("198.51.100.7") }
        for _ in 0..<3 { #expect(throws: APIError.self) { try routes.sessionStarts.admit("198.51.100.7") } }
        let webhooks = WebhookRoutes(
            conversations: WebhookRejectionTests.FakeIngest().client, rejectionRate: 0.001, rejectionBurst: 1,
            metrics: metrics)
        webhooks.rejections.spend("203.0.113.9")
        #expect(throws: APIError.self) { try webhooks.rejections.requireTokens("203.0.113.9") }
        let text = registry.emitToString()
        #expect(text.contains(#"smarterchat_gateway_rate_limited_total{limiter="webchat_session_start"} 3"#))
        #expect(text.contains(#"smarterchat_gateway_rate_limited_total{limiter="callback_address"} 1"#))
        #expect(text.contains(#"smarterchat_gateway_rate_limited_total{limiter="callback_channel"} 0"#))
    }
}
