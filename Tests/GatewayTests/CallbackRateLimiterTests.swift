import Configuration
import Contracts
import Foundation
import HTTPTypes
import RPC
import Synchronization
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

@Suite("The rate limiter's memory")
struct CallbackRateLimiterMemoryTests {
    @Test("many distinct keys keep at most twice the capacity, each call staying cheap")
    func boundedKeys() throws {
        let limiter = CallbackRateLimiter(perSecond: 1, burst: 1, capacity: 1000)
        let started = ContinuousClock.now
        for index in 0..<200_000 { try limiter.admit("junk-\(index)") }
        #expect(limiter.trackedKeys <= 2000)
        // The old limiter rebuilt its dictionary on every call past 10,000 keys: minutes here.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a key in use survives floods of other keys: its empty bucket stays empty")
    func activeKeySurvives() throws {
        let limiter = CallbackRateLimiter(perSecond: 0.001, burst: 1, capacity: 100)
        try limiter.admit("victim")
        for round in 0..<5 {
            for index in 0..<99 { try limiter.admit("flood-\(round)-\(index)") }
            #expect(throws: APIError.self) { try limiter.admit("victim") }
        }
    }

    @Test("an idle key is forgotten after two generations")
    func idleKeysForgotten() async throws {
        let limiter = CallbackRateLimiter(perSecond: 0.001, burst: 1, generationAge: .milliseconds(50))
        try limiter.admit("idle")
        try await Task.sleep(for: .milliseconds(60))
        try limiter.admit("other")
        try await Task.sleep(for: .milliseconds(60))
        try limiter.admit("other-2")
        #expect(limiter.trackedKeys == 2)
        try limiter.admit("idle")
    }
}

@Suite("Public channel ids in callback and web chat paths")
struct PublicChannelIDTests {
    @Test(
        "channel ids are UUIDs",
        arguments: [
            ("0b6f1f1e-3c1a-4f5e-9a57-2f1d3c4b5a69", true), ("0B6F1F1E-3C1A-4F5E-9A57-2F1D3C4B5A69", true),
            ("0b6f1f1e3c1a4f5e9a572f1d3c4b5a69", false), ("0b6f1f1e-3c1a-4f5e-9a57-2f1d3c4b5a6", false),
            ("0b6f1f1e-3c1a-4f5e-9a57-2f1d3c4b5a6g", false), ("0b6f1f1e_3c1a-4f5e-9a57-2f1d3c4b5a69", false),
            ("", false), ("../../admin", false), ("0b6f1f1e-3c1a-4f5e-9a57-2f1d3c4b5a69x", false),
        ])
    func channelIDs(text: String, valid: Bool) {
        #expect(PublicChannelID.isChannelID(text) == valid)
    }

    @Test(
        "web chat public ids are wc_ and 24 base64url characters",
        arguments: [
            ("wc_AbCdEfGhIjKlMnOpQrStUv-_", true), ("wc_000000000000000000000000", true),
            ("wc_AbCdEfGhIjKlMnOpQrStUv-", false), ("wc_AbCdEfGhIjKlMnOpQrStUv-_x", false),
            ("wc_AbCdEfGhIjKlMnOpQrStUv+/", false), ("xx_AbCdEfGhIjKlMnOpQrStUv-_", false), ("wc_missing", false),
            ("", false), ("wc_AbCdEfGhIjKlMnOpQrStUvé", false),
        ])
    func webchatIDs(text: String, valid: Bool) {
        #expect(PublicChannelID.isWebchatPublicID(text) == valid)
    }

    @Test("a generated public id has the accepted shape")
    func generatedShape() {
        // What conversations' ChannelHandlers gives a web chat channel: "wc_" and 18 random
        // bytes in unpadded base64url (SecureRandom.token(byteCount: 18)).
        for _ in 0..<100 {
            let bytes = Data((0..<18).map { _ in UInt8.random(in: 0...255) })
            let token = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(PublicChannelID.isWebchatPublicID("wc_" + token))
        }
    }
}

@Suite("The public web chat's budgets")
struct WebchatBudgetTests {
    let routes = WebchatRoutes(
        conversations: RPCInProcessClient(router: RPCRouter(service: Contracts.Conversations.Service.descriptor)))
    let chat = "wc_AbCdEfGhIjKlMnOpQrStUv-_"

    func admitted(_ address: String, times: Int, sessionStart: Bool = false) -> Int {
        (0..<times).filter { _ in (try? routes.admit(chat, address: address, sessionStart: sessionStart)) != nil }.count
    }

    @Test("one client gets its own burst, and what it is refused is not charged to the chat")
    func oneClientCannotExhaustTheChat() {
        // Bursts of 40 per address (10/s: a slow run may see a token or two come back).
        #expect((40...42).contains(admitted("198.51.100.7", times: 1000)))
        // The chat's burst is 200: about 40 used by the flooding client, the rest for others.
        for visitor in 1...4 { #expect(admitted("203.0.113.\(visitor)", times: 39) == 39) }
        // Then the chat's budget is about spent (100/s comes back): a fresh client gets little.
        #expect(admitted("203.0.113.99", times: 40) < 40)
    }

    @Test("session starts have their own, smaller per-address budget")
    func sessionStarts() {
        #expect((20...21).contains(admitted("198.51.100.8", times: 100, sessionStart: true)))
    }
}

@Suite("The limiter's outcome-charging operations")
struct CallbackRateLimiterOutcomeTests {
    @Test("requireTokens refuses an empty bucket without taking a token, and gives no bucket to a new key")
    func requireTokensPeeks() throws {
        let limiter = CallbackRateLimiter(perSecond: 0.001, burst: 2)
        for _ in 0..<5 { try limiter.requireTokens("k") }
        #expect(limiter.trackedKeys == 0)
        try limiter.admit("k")
        try limiter.requireTokens("k")
        try limiter.admit("k")
        #expect(throws: APIError.self) { try limiter.requireTokens("k") }
    }

    @Test("spend takes a token without refusing; refund gives one back, never beyond the burst")
    func spendAndRefund() throws {
        let limiter = CallbackRateLimiter(perSecond: 0.001, burst: 2)
        limiter.spend("k")
        limiter.spend("k")
        limiter.spend("k")
        #expect(throws: APIError.self) { try limiter.admit("k") }
        limiter.refund("k")
        try limiter.admit("k")
        for _ in 0..<5 { limiter.refund("k") }
        try limiter.admit("k")
        try limiter.admit("k")
        #expect(throws: APIError.self) { try limiter.admit("k") }
    }
}

@Suite("Forged callbacks do not spend a channel's budget")
struct WebhookRejectionTests {
    /// A conversations service whose `IngestWebhook` accepts the signature "good" only, and
    /// counts the calls it gets.
    final class FakeIngest: Sendable {
        final class Counter: Sendable {
            let value = Mutex(0)
        }

        let calls = Counter()
        let client: RPCInProcessClient

        init() {
            let router = RPCRouter(service: Contracts.Conversations.Service.descriptor)
            let calls = self.calls
            router.register(Contracts.Conversations.Service.ingestWebhook) { request, _ in
                calls.value.withLock { $0 += 1 }
                guard request.signature == "good" else {
                    throw RPCError(.unauthenticated, "signature missing or not valid")
                }
                return Contracts.Conversations.IngestWebhookResponse(messagesStored: 1)
            }
            self.client = RPCInProcessClient(router: router)
        }

        var count: Int { calls.value.withLock { $0 } }
    }

    func send(_ routes: WebhookRoutes, signature: String, from address: String) async -> Int {
        do {
            _ = try await routes.admitted("channel", from: address) {
                try await routes.forward(
                    type: "whatsapp", channelID: "channel", body: Data("{}".utf8), signature: signature,
                    secretToken: "",
                    metadata: CallMetadata())
            }
            return 200
        } catch let error as APIError {
            return Int(error.status.code)
        } catch let error as RPCError {
            return Int(APIError(error).status.code)
        } catch {
            return 0
        }
    }

    @Test("a flood of forged callbacks gets 401, then 429 from the gateway; the provider's still get through")
    func forgedFlood() async throws {
        let conversations = FakeIngest()
        let routes = WebhookRoutes(
            conversations: conversations.client, ratePerSecond: 2, rejectionRate: 0.001, rejectionBurst: 3)
        var forged: [Int] = []
        for _ in 0..<20 { forged.append(await send(routes, signature: "forged", from: "203.0.113.9")) }
        #expect(forged == Array(repeating: 401, count: 3) + Array(repeating: 429, count: 17))
        // Only the three rejected ones reached conversations.
        #expect(conversations.count == 3)
        // The channel's whole burst (twice its rate) is still there for the provider, and
        // the channel's own limit still applies (a slow machine may refill a token or two).
        var genuine: [Int] = []
        for _ in 0..<10 { genuine.append(await send(routes, signature: "good", from: "198.51.100.7")) }
        #expect(genuine.prefix(4) == [200, 200, 200, 200])
        #expect(genuine.contains(429))
        #expect(conversations.count == 3 + genuine.count { $0 == 200 })
    }

    @Test("rejections are counted per address: a rejected address does not block another")
    func perAddress() async throws {
        let routes = WebhookRoutes(
            conversations: FakeIngest().client, ratePerSecond: 100, rejectionRate: 0.001, rejectionBurst: 1)
        #expect(await send(routes, signature: "forged", from: "203.0.113.9") == 401)
        #expect(await send(routes, signature: "good", from: "203.0.113.9") == 429)
        #expect(await send(routes, signature: "forged", from: "203.0.113.10") == 401)
        #expect(await send(routes, signature: "good", from: "198.51.100.7") == 200)
    }

    @Test("which failures count as rejections")
    func rejectionKinds() {
        #expect(WebhookRoutes.isRejection(RPCError(.unauthenticated, "")))
        #expect(WebhookRoutes.isRejection(RPCError(.permissionDenied, "")))
        #expect(WebhookRoutes.isRejection(RPCError(.notFound, "")))
        #expect(WebhookRoutes.isRejection(APIError(status: .contentTooLarge, code: "body_too_large", message: "")))
        #expect(!WebhookRoutes.isRejection(RPCError(.invalidArgument, "")))
        #expect(!WebhookRoutes.isRejection(RPCError(.unavailable, "")))
    }
}
