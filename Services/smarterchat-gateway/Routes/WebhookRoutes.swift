import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC
import Synchronization

/// The channels' public callbacks (no authentication; the channel's signature is the proof):
/// `GET /webhooks/{whatsapp|instagram}/{channel_id}` (Meta's verification handshake: the
/// `hub.challenge` as text/plain, 403 on a wrong token) and
/// `POST /webhooks/{whatsapp|instagram|telegram}/{channel_id}`.
///
/// A POST's raw body and its `X-Hub-Signature-256` / `X-Telegram-Bot-Api-Secret-Token` go to
/// conversations unchanged, which verifies them (401, nothing stored) and answers once the
/// payload is committed: 200 means stored. Each channel may call at most `SMARTERCHAT_CALLBACK_RATE`
/// times a second (1000 by default, ``CallbackRateLimiter``; 429 with Retry-After beyond it;
/// the providers retry).
struct WebhookRoutes: Sendable {
    static let maximumBody = 1 << 20
    static let signatureHeader = HTTPField.Name("X-Hub-Signature-256")!
    static let telegramHeader = HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!

    let conversations: any RPCCaller
    let limiter: CallbackRateLimiter
    let timeout: Duration = .seconds(15)

    /// Callbacks of `conversations`' channels, each channel at most `ratePerSecond` (bursts of
    /// twice that) through this gateway.
    init(conversations: any RPCCaller, ratePerSecond: Int = 1000) {
        self.conversations = conversations
        self.limiter = CallbackRateLimiter(perSecond: Double(ratePerSecond), burst: Double(2 * ratePerSecond))
    }

    func register(on router: Router<GatewayRequestContext>) {
        let webhooks = router.group("webhooks")
        for type in ["whatsapp", "instagram"] {
            webhooks.get("\(type)/:channel_id") { request, context in
                try await verify(type: type, request, context)
            }
        }
        for type in ["whatsapp", "instagram", "telegram"] {
            webhooks.post("\(type)/:channel_id") { request, context in
                try await ingest(type: type, request, context)
            }
        }
    }

    func verify(type: String, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let channelID = try context.parameters.require("channel_id")
        try limiter.admit(channelID)
        let response = try await conversations.call(
            Conversations.Service.verifyWebhook,
            Conversations.VerifyWebhookRequest(
                channelType: type, channelId: channelID, mode: query.get("hub.mode") ?? "",
                verifyToken: query.get("hub.verify_token") ?? "", challenge: query.get("hub.challenge") ?? ""),
            metadata: context.callMetadata, timeout: timeout)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: response.challenge)))
    }

    func ingest(type: String, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let channelID = try context.parameters.require("channel_id")
        try limiter.admit(channelID)
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumBody)
        } catch {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "request body is too large")
        }
        let stored = try await conversations.call(
            Conversations.Service.ingestWebhook,
            Conversations.IngestWebhookRequest(
                channelType: type, channelId: channelID, rawBody: Data(body.readableBytesView),
                signature: request.headers[Self.signatureHeader] ?? "",
                secretToken: request.headers[Self.telegramHeader] ?? ""),
            metadata: context.callMetadata, timeout: timeout)
        return try JSONBody.response(stored)
    }
}

/// A token bucket per key (a channel id) in this gateway process: `perSecond` sustained,
/// `burst` at once; beyond it 429 with Retry-After. Keys idle for a minute are forgotten.
final class CallbackRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let perSecond: Double
    private let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    func admit(_ key: String) throws {
        let now = ContinuousClock.now
        let admitted = buckets.withLock { buckets -> Bool in
            if buckets.count > 10_000 {
                buckets = buckets.filter { now - $0.value.updated < .seconds(60) }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed =
                Double((now - bucket.updated).components.attoseconds) / 1e18
                + Double((now - bucket.updated).components.seconds)
            bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            let admitted = bucket.tokens >= 1
            if admitted { bucket.tokens -= 1 }
            buckets[key] = bucket
            return admitted
        }
        guard admitted else {
            var error = APIError(status: .tooManyRequests, code: "rate_limited", message: "too many callbacks")
            error.headers[.retryAfter] = "1"
            throw error
        }
    }
}
