import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import RPC

/// VerifyWebhook and IngestWebhook: the channels' public callbacks, forwarded by the gateway
/// with the raw body and the signature headers.
///
/// The secrets stay in this service: it opens them, checks the signature (UNAUTHENTICATED,
/// nothing stored, when it is missing or wrong) and then stores the payload (``InboundIngest``)
/// before answering, so the gateway's 200 means committed. Unknown or deleted channels and a
/// path whose type is not the channel's answer NOT_FOUND.
struct WebhookHandlers: Sendable {
    let database: PostgresClient
    let keyRing: KeyRing?
    let ingest: InboundIngest
    let logger: Logger
    /// The callback channels this replica keeps (shared with ``ChannelHandlers``, which drops
    /// them on writes).
    let channels: CallbackChannels

    func register(on router: RPCRouter) {
        router.register(Conversations.Service.verifyWebhook) { request, _ in try await verifyWebhook(request) }
        router.register(Conversations.Service.ingestWebhook) { request, context in
            try await ingestWebhook(request, context)
        }
    }

    func verifyWebhook(
        _ request: Conversations.VerifyWebhookRequest
    ) async throws
        -> Conversations.VerifyWebhookResponse
    {
        guard ["whatsapp", "instagram"].contains(request.channelType) else {
            throw RPCError(.notFound, "channel not found")
        }
        let record = try await channel(request.channelId, type: request.channelType)
        let expected = try record.secrets.open(.verifyToken, channelID: record.id, keyRing: keyRing)
        guard request.mode == "subscribe", let expected, !request.verifyToken.isEmpty,
            ConstantTime.equals(
                Digest.sha256(Array(request.verifyToken.utf8)), Digest.sha256(Array(expected.utf8)))
        else { throw RPCError(.permissionDenied, "verification failed") }
        return Conversations.VerifyWebhookResponse(challenge: request.challenge)
    }

    func ingestWebhook(
        _ request: Conversations.IngestWebhookRequest, _ context: RPCContext
    ) async throws -> Conversations.IngestWebhookResponse {
        guard ["whatsapp", "instagram", "telegram"].contains(request.channelType) else {
            throw RPCError(.notFound, "channel not found")
        }
        let record = try await channel(request.channelId, type: request.channelType)
        let authentic = CallbackAuthenticator.isAuthentic(
            type: request.channelType, rawBody: request.rawBody, signature: request.signature,
            secretToken: request.secretToken,
            appSecret: try record.secrets.open(.appSecret, channelID: record.id, keyRing: keyRing),
            channelSecretToken: try record.secrets.open(.secretToken, channelID: record.id, keyRing: keyRing))
        guard authentic else { throw RPCError(.unauthenticated, "signature missing or not valid") }
        let payload: InboundPayload
        switch request.channelType {
        case "whatsapp": payload = WhatsAppPayload.parse(request.rawBody)
        case "instagram": payload = InstagramPayload.parse(request.rawBody)
        default: payload = TelegramPayload.parse(request.rawBody)
        }
        let target = InboundIngest.Target(
            channelID: record.id, organizationID: record.organizationID, agentID: record.agentID,
            type: record.channel.type)
        guard request.channelType == "whatsapp" else {
            return try await ingest.store(payload, for: target, requestID: context.metadata.requestID)
        }
        // One Meta app calls one URL for all its numbers: parts naming another number of the
        // same organization go to that number's channel (same app, so the same signature).
        var parts: [(InboundIngest.Target, InboundPayload)] = []
        var routed: Set<String> = []
        for number in payload.otherBusinessNumbers(than: record.channel.phoneNumberId) {
            guard
                let other = try await database.withConnection({ connection in
                    try await ChannelStore.whatsAppNumber(
                        number, organizationID: record.organizationID, on: connection)
                })
            else {
                logger.notice(
                    "callback names a number of no channel; stored on the receiving channel",
                    metadata: ["channel.id": "\(record.id)"])
                continue
            }
            routed.insert(number)
            parts.append(
                (
                    InboundIngest.Target(
                        channelID: other.id, organizationID: other.organizationID, agentID: other.agentID,
                        type: "whatsapp"), payload.parts(for: number, others: [])
                ))
        }
        parts.insert((target, payload.parts(for: nil, others: routed)), at: 0)
        return try await ingest.store(parts, requestID: context.metadata.requestID)
    }

    /// The channel of a callback URL, of the path's type.
    func channel(_ text: String, type: String) async throws -> ChannelStore.Record {
        let id = try ChannelHandlers.channelID(text)
        guard
            let record = try await channels.channel(
                id,
                load: {
                    try await database.withConnection { connection in
                        try await ChannelStore.callbackTarget(id: id, on: connection)
                    }
                }), record.channel.type == type
        else { throw RPCError(.notFound, "channel not found") }
        return record
    }
}
