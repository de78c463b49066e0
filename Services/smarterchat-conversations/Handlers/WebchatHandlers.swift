import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import RPC

/// StartWebchatSession, PostWebchatMessage, WaitWebchatEvents: the public web chat API.
///
/// A visitor starts a session on a web chat channel's public id and gets a token (kept as
/// its SHA-256; 24 hours, extended by use). Their messages are ingested like any channel's
/// (contact = the session id, one conversation per session; `client_message_id` makes a
/// retried POST idempotent) and the replies come back through the session's long poll over
/// conversation_events. When the channel lists allowed origins, sessions start only from them.
struct WebchatHandlers: Sendable {
    static let sessionLifetime: Duration = .seconds(24 * 3600)
    static let maximumWait: Duration = .seconds(30)

    let database: PostgresClient
    let ingest: InboundIngest
    let signal: EventSignal
    /// This replica's kept channels (shared with the provider callbacks and dropped by channel
    /// writes): a visitor's messages and long polls do not each read the channel.
    var channels = CallbackChannels(lifetime: .zero)

    func register(on router: RPCRouter) {
        router.register(Conversations.Service.startWebchatSession) { request, _ in
            try await startSession(request)
        }
        router.register(Conversations.Service.postWebchatMessage) { request, context in
            try await postMessage(request, context)
        }
        router.register(Conversations.Service.waitWebchatEvents) { request, _ in try await waitEvents(request) }
    }

    func startSession(
        _ request: Conversations.StartWebchatSessionRequest
    ) async throws
        -> Conversations.StartWebchatSessionResponse
    {
        let name = request.visitorName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.count <= 100, !name.unicodeScalars.contains("\0") else {
            throw RPCError(.invalidArgument, "visitor_name must be at most 100 characters")
        }
        let channel = try await webchatChannel(request.publicId)
        let allowed = channel.channel.allowedOrigins
        guard allowed.isEmpty || allowed.contains(request.origin) else {
            throw RPCError(.permissionDenied, "this site may not open a chat on this channel")
        }
        let token = "wcs_" + SecureRandom.token(byteCount: 32)
        let session = try await database.withConnection { connection in
            try await WebchatSessionStore.insert(
                organizationID: channel.organizationID, channelID: channel.id, tokenHash: Self.hash(token),
                visitorName: name.isEmpty ? nil : name,
                origin: request.origin.isEmpty ? nil : String(request.origin.prefix(500)),
                lifetime: Self.sessionLifetime, on: connection)
        }
        return Conversations.StartWebchatSessionResponse(
            sessionId: session.id.lowercased, token: token, channelName: channel.channel.name,
            expiresAt: session.expiresAt)
    }

    func postMessage(
        _ request: Conversations.PostWebchatMessageRequest, _ context: RPCContext
    ) async throws -> Conversations.PostWebchatMessageResponse {
        let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 4096, !text.unicodeScalars.contains("\0") else {
            throw RPCError(.invalidArgument, "text must be 1 to 4096 characters")
        }
        guard request.clientMessageId.count <= 100 else {
            throw RPCError(.invalidArgument, "client_message_id must be at most 100 characters")
        }
        let (channel, session) = try await authenticate(publicID: request.publicId, token: request.token)
        let clientID = request.clientMessageId.isEmpty ? UUID().lowercased : request.clientMessageId
        let message = InboundMessage(
            externalID: "\(session.id.lowercased):\(clientID)", contactIdentifier: session.id.lowercased,
            contactName: session.visitorName, contactPhone: nil, contentType: "text", content: text, mediaURL: nil,
            mediaMetadata: nil, externalMetadata: "{}", sentAt: nil)
        let target = InboundIngest.Target(
            channelID: channel.id, organizationID: channel.organizationID, agentID: channel.agentID, type: "webchat")
        let stored = try await ingest.store(message, for: target, requestID: context.metadata.requestID)
        return Conversations.PostWebchatMessageResponse(
            messageId: stored.messageID.lowercased, conversationId: stored.conversationID.lowercased,
            duplicate: stored.duplicate)
    }

    func waitEvents(
        _ request: Conversations.WaitWebchatEventsRequest
    ) async throws
        -> Conversations.WaitEventsResponse
    {
        let (channel, session) = try await authenticate(publicID: request.publicId, token: request.token)
        let wait = Duration.milliseconds(max(0, min(Int64(request.waitMs), 30_000)))
        let after = max(0, request.afterSeq)
        let events = try await LongPoll.collect(wait: wait, signal: signal, organizationID: channel.organizationID) {
            try await database.withConnection { connection in
                try await ConversationEventFeed.webchat(
                    organizationID: channel.organizationID, contact: session.id.lowercased, channelID: channel.id,
                    after: after, limit: 100, on: connection)
            }
        }
        return Conversations.WaitEventsResponse(events: events, lastSeq: events.last?.seq ?? after)
    }

    func webchatChannel(_ publicID: String) async throws -> ChannelStore.Record {
        guard !publicID.isEmpty, publicID.count <= 64,
            let channel = try await channels.webchat(
                publicID: publicID,
                load: {
                    try await database.withConnection { connection in
                        try await ChannelStore.webchat(publicID: publicID, on: connection)
                    }
                })
        else { throw RPCError(.notFound, "chat not found") }
        return channel
    }

    /// The channel and the live session of `token`; UNAUTHENTICATED otherwise.
    func authenticate(
        publicID: String, token: String
    ) async throws
        -> (ChannelStore.Record, WebchatSessionStore.Session)
    {
        let channel = try await webchatChannel(publicID)
        guard token.hasPrefix("wcs_"), token.count <= 100,
            let session = try await database.withConnection({ connection in
                try await WebchatSessionStore.find(
                    tokenHash: Self.hash(token), channelID: channel.id, lifetime: Self.sessionLifetime, on: connection)
            })
        else { throw RPCError(.unauthenticated, "chat session missing or expired") }
        return (channel, session)
    }

    static func hash(_ token: String) -> Data { Data(Digest.sha256(Array(token.utf8))) }
}

/// A long poll: the rows `read` finds, waiting up to `wait` (woken by ``EventSignal``) for
/// the first ones.
enum LongPoll {
    static func collect<Row: Sendable>(
        wait: Duration, signal: EventSignal, organizationID: UUID, read: () async throws -> [Row]
    ) async throws -> [Row] {
        let deadline = ContinuousClock.now + wait
        while true {
            let rows = try await read()
            let remaining = deadline - ContinuousClock.now
            if !rows.isEmpty || remaining <= .zero || Task.isCancelled { return rows }
            await signal.wait(organizationID: organizationID, upTo: remaining)
        }
    }
}
