import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC

/// The channels' public callbacks (no authentication; the channel's signature is the proof):
/// `GET /webhooks/{whatsapp|instagram}/{channel_id}` (Meta's verification handshake: the
/// `hub.challenge` as text/plain, 403 on a wrong token) and
/// `POST /webhooks/{whatsapp|instagram|telegram}/{channel_id}`.
///
/// A POST's raw body and its `X-Hub-Signature-256` / `X-Telegram-Bot-Api-Secret-Token` go to
/// conversations unchanged, which verifies them (401, nothing stored) and answers once the
/// payload is committed: 200 means stored. A channel id that is not a UUID answers 404 at once.
/// Each channel may call at most `SMARTERCHAT_CALLBACK_RATE` times a second (1000 by default,
/// ``CallbackRateLimiter``; 429 with Retry-After beyond it; the providers retry).
///
/// Only authentic callbacks spend a channel's budget: one that conversations rejects (a wrong
/// signature, secret token or verify token, or an unknown channel) gives its token back, and is
/// charged instead to the client address it came from, which may have `rejectionBurst` such
/// rejections and then one every `1 / rejectionRate` seconds; beyond that its callbacks answer
/// 429 without reaching conversations. So forged callbacks naming a real channel id do not
/// crowd out the provider's real ones.
struct WebhookRoutes: Sendable {
    static let maximumBody = 1 << 20
    static let signatureHeader = HTTPField.Name("X-Hub-Signature-256")!
    static let telegramHeader = HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!

    let conversations: any RPCCaller
    let limiter: CallbackRateLimiter
    /// Rejected callbacks per client address.
    let rejections: CallbackRateLimiter
    let timeout: Duration = .seconds(15)

    /// Callbacks of `conversations`' channels, each channel at most `ratePerSecond` (bursts of
    /// twice that) through this gateway; each client address at most `rejectionBurst` rejected
    /// ones, then `rejectionRate` a second.
    init(
        conversations: any RPCCaller, ratePerSecond: Int = 1000, rejectionRate: Double = 1, rejectionBurst: Int = 30,
        metrics: HTTPMetrics? = nil
    ) {
        self.conversations = conversations
        self.limiter = CallbackRateLimiter(
            perSecond: Double(ratePerSecond), burst: Double(2 * ratePerSecond),
            refusals: metrics?.rateLimited("callback_channel"))
        self.rejections = CallbackRateLimiter(
            perSecond: rejectionRate, burst: Double(rejectionBurst), refusals: metrics?.rateLimited("callback_address"))
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

    /// The path's channel id, lowercased, when it has a channel id's shape (a UUID, as
    /// conversations generates); anything else is an unknown channel, answered 404 before it
    /// costs a bucket. Lowercased so that the case variants of one id share its bucket.
    static func channelID(_ context: GatewayRequestContext) throws -> String {
        let text = try context.parameters.require("channel_id")
        guard PublicChannelID.isChannelID(text) else { throw APIError(RPCError(.notFound, "channel not found")) }
        return text.lowercased()
    }

    func verify(type: String, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let channelID = try Self.channelID(context)
        let response = try await admitted(channelID, from: context.remoteAddress) {
            try await conversations.call(
                Conversations.Service.verifyWebhook,
                Conversations.VerifyWebhookRequest(
                    channelType: type, channelId: channelID, mode: query.get("hub.mode") ?? "",
                    verifyToken: query.get("hub.verify_token") ?? "", challenge: query.get("hub.challenge") ?? ""),
                metadata: context.callMetadata, timeout: timeout)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: response.challenge)))
    }

    func ingest(type: String, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let channelID = try Self.channelID(context)
        var request = request
        let stored = try await admitted(channelID, from: context.remoteAddress) {
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: Self.maximumBody)
            } catch {
                throw APIError(status: .contentTooLarge, code: "body_too_large", message: "request body is too large")
            }
            return try await forward(
                type: type, channelID: channelID, body: Data(body.readableBytesView),
                signature: request.headers[Self.signatureHeader] ?? "",
                secretToken: request.headers[Self.telegramHeader] ?? "", metadata: context.callMetadata)
        }
        return try JSONBody.response(stored)
    }

    /// Hands a callback's raw body and proof to conversations, which verifies and stores it.
    func forward(
        type: String, channelID: String, body: Data, signature: String, secretToken: String, metadata: CallMetadata
    ) async throws -> Conversations.IngestWebhookResponse {
        try await conversations.call(
            Conversations.Service.ingestWebhook,
            Conversations.IngestWebhookRequest(
                channelType: type, channelId: channelID, rawBody: body, signature: signature, secretToken: secretToken),
            metadata: metadata, timeout: timeout)
    }

    /// Runs `call` within the channel's budget and the address's budget of rejections (429 when
    /// either is empty). A rejected call gives the channel its token back and costs the address one.
    func admitted<Answer>(
        _ channelID: String, from address: String, _ call: () async throws -> Answer
    ) async throws -> Answer {
        try rejections.requireTokens(address)
        try limiter.admit(channelID)
        do {
            return try await call()
        } catch let error where Self.isRejection(error) {
            limiter.refund(channelID)
            rejections.spend(address)
            throw error
        }
    }

    /// A callback that proves nothing: a wrong signature, secret or verify token, an unknown
    /// channel, or a body no provider sends.
    static func isRejection(_ error: any Error) -> Bool {
        if let error = error as? RPCError {
            return [.unauthenticated, .permissionDenied, .notFound].contains(error.code)
        }
        return (error as? APIError)?.status == .contentTooLarge
    }
}
