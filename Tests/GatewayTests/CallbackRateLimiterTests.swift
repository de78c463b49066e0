import Configuration
import Contracts
import Foundation
import HTTPTypes
import RPC
import Testing

@testable import GatewayService

@Suite("The public callbacks' rate limiter")
struct CallbackRateLimiterTests {
    @Test("a key gets its burst, then 429 with Retry-After, while another key is unaffected")
    func burstThenRefusal() throws {
        let limiter = CallbackRateLimiter(perSecond: 1, burst: 3)
        for _ in 0..<3 { try limiter.admit("channel-a") }
        do {
            try limiter.admit("channel-a")
            Issue.record("the fourth call within the burst was admitted")
        } catch let error as APIError {
            #expect(error.status == .tooManyRequests && error.code == "rate_limited")
            #expect(error.headers[.retryAfter] == "1")
        }
        try limiter.admit("channel-b")
    }

    @Test("tokens come back with time")
    func refills() async throws {
        let limiter = CallbackRateLimiter(perSecond: 20, burst: 1)
        try limiter.admit("k")
        #expect(throws: APIError.self) { try limiter.admit("k") }
        try await Task.sleep(for: .milliseconds(120))
        try limiter.admit("k")
    }

    @Test("SMARTERCHAT_CALLBACK_RATE sets each channel's callback rate (1000 by default), bursts of twice it")
    func configuredRate() throws {
        func configuration(_ environment: [String: String]) -> GatewayConfiguration {
            GatewayConfiguration(
                reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
        }
        #expect(configuration([:]).callbackRate == 1000)
        let rate = configuration(["SMARTERCHAT_CALLBACK_RATE": "3"]).callbackRate
        #expect(rate == 3)
        let routes = WebhookRoutes(
            conversations: RPCInProcessClient(router: RPCRouter(service: Contracts.Conversations.Service.descriptor)),
            ratePerSecond: rate)
        for _ in 0..<6 { try routes.limiter.admit("channel") }
        #expect(throws: APIError.self) { try routes.limiter.admit("channel") }
    }
}
