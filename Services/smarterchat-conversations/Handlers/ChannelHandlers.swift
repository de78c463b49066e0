import Access
import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import RPC

/// ListChannels, GetChannel, CreateChannel, UpdateChannel, DeleteChannel.
///
/// Reads need `conversations:read`, writes `channels:manage`; every query is scoped by the
/// caller's organization (another organization's id answers NOT_FOUND). Secrets are sealed
/// at rest (``ChannelSecretBox``) and never returned: the API shows which are set.
///
/// Each channel is linked to an agent, checked with agents' `GetAgentStatus` (a service call
/// for the caller's organization): NOT_FOUND is refused; while agents does not implement the
/// method (UNIMPLEMENTED) the link is accepted unchecked.
struct ChannelHandlers: Sendable {
    static let types: Set<String> = ["whatsapp", "instagram", "telegram", "webchat"]
    /// The secrets a channel of each type needs before it can take callbacks.
    static let requiredSecrets: [String: [ChannelSecretBox.Name]] = [
        "whatsapp": [.accessToken, .appSecret, .verifyToken],
        "instagram": [.accessToken, .appSecret, .verifyToken],
        "telegram": [.botToken, .secretToken],
        "webchat": [],
    ]

    let database: PostgresClient
    let keyRing: KeyRing?
    /// The agents service (GetAgentStatus); nil skips the check (tests of other areas).
    let agents: (any RPCCaller)?
    let logger: Logger
    /// Refreshes the organization's retention copy as its users work (nil in tests of other areas).
    var retention: RetentionSettingsRecorder? = nil
    /// The callback channels of this replica's ``WebhookHandlers``, dropped after every write
    /// (nil where no callbacks are served).
    var callbackChannels: CallbackChannels? = nil

    func register(on router: RPCRouter) {
        router.register(Conversations.Service.listChannels) { request, context in
            try await listChannels(request, context)
        }
        router.register(Conversations.Service.getChannel) { request, context in try await getChannel(request, context) }
        router.register(Conversations.Service.createChannel) { request, context in
            defer { callbackChannels?.dropAll() }
            return try await createChannel(request, context)
        }
        router.register(Conversations.Service.updateChannel) { request, context in
            defer { callbackChannels?.dropAll() }
            return try await updateChannel(request, context)
        }
        router.register(Conversations.Service.deleteChannel) { request, context in
            defer { callbackChannels?.dropAll() }
            return try await deleteChannel(request, context)
        }
    }

    func listChannels(
        _ request: Conversations.ListChannelsRequest, _ context: RPCContext
    ) async throws -> Conversations.ListChannelsResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsRead)
        if !request.type.isEmpty, !Self.types.contains(request.type) {
            throw RPCError(.invalidArgument, "type must be whatsapp, instagram, telegram or webchat")
        }
        await retention?.refresh(organizationID: caller.organizationID, context: context)
        let records = try await database.withConnection { connection in
            try await ChannelStore.list(
                organizationID: caller.organizationID, type: request.type.isEmpty ? nil : request.type,
                on: connection)
        }
        return Conversations.ListChannelsResponse(channels: records.map(\.channel))
    }

    func getChannel(
        _ request: Conversations.GetChannelRequest, _ context: RPCContext
    ) async throws -> Conversations.Channel {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsRead)
        let id = try Self.channelID(request.channelId)
        guard
            let record = try await database.withConnection({ connection in
                try await ChannelStore.find(id: id, organizationID: caller.organizationID, on: connection)
            })
        else { throw RPCError(.notFound, "channel not found") }
        return record.channel
    }

    func createChannel(
        _ request: Conversations.CreateChannelRequest, _ context: RPCContext
    ) async throws -> Conversations.Channel {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.channelsManage)
        var request = request
        request.name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.types.contains(request.type) else {
            throw RPCError(.invalidArgument, "type must be whatsapp, instagram, telegram or webchat")
        }
        try Self.checkName(request.name)
        try Self.checkIdentifiers(
            phoneNumber: request.phoneNumber, phoneNumberID: request.phoneNumberId,
            businessAccountID: request.businessAccountId, instagramAccountID: request.instagramAccountId,
            instagramUsername: request.instagramUsername)
        try Self.checkOrigins(request.allowedOrigins)
        if request.type == "whatsapp", request.phoneNumberId.isEmpty {
            throw RPCError(.invalidArgument, "a whatsapp channel needs phone_number_id")
        }
        if request.type == "instagram", request.instagramAccountId.isEmpty {
            throw RPCError(.invalidArgument, "an instagram channel needs instagram_account_id")
        }
        try Self.checkSecretToken(request.config?.secretToken)
        let agentID = try await checkAgent(request.agentId, caller: caller, context: context)
        let id = UUID()
        var secrets = ChannelSecretBox(config: nil)
        if request.type != "webchat" {
            try secrets.apply(request.config ?? .init(), channelID: id, keyRing: keyRing)
        }
        let missing = Self.requiredSecrets[request.type, default: []].filter { !secrets.has($0) }
        guard missing.isEmpty else {
            throw RPCError(
                .invalidArgument,
                "a \(request.type) channel needs config.\(missing.map(\.rawValue).joined(separator: ", config."))")
        }
        let publicID = request.type == "webchat" ? "wc_" + SecureRandom.token(byteCount: 18) : nil
        let webhookURL = publicID.map { "/webchat/\($0)" } ?? "/webhooks/\(request.type)/\(id.lowercasedString)"
        let record = try await database.withTransaction { connection in
            try await ChannelStore.insert(
                id: id, organizationID: caller.organizationID, request: request, agentID: agentID, secrets: secrets,
                publicID: publicID, webhookURL: webhookURL, on: connection)
        }
        return record.channel
    }

    func updateChannel(
        _ request: Conversations.UpdateChannelRequest, _ context: RPCContext
    ) async throws -> Conversations.Channel {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.channelsManage)
        let id = try Self.channelID(request.channelId)
        if let name = request.name { try Self.checkName(name.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if let status = request.status, !["active", "inactive"].contains(status) {
            throw RPCError(.invalidArgument, "status must be active or inactive")
        }
        try Self.checkIdentifiers(
            phoneNumber: request.phoneNumber ?? "", phoneNumberID: request.phoneNumberId ?? "",
            businessAccountID: request.businessAccountId ?? "", instagramAccountID: request.instagramAccountId ?? "",
            instagramUsername: request.instagramUsername ?? "")
        if request.setAllowedOrigins { try Self.checkOrigins(request.allowedOrigins) }
        try Self.checkSecretToken(request.config?.secretToken)
        var agentID: UUID?
        if let text = request.agentId { agentID = try await checkAgent(text, caller: caller, context: context) }
        return try await database.withTransaction { connection in
            guard
                var record = try await ChannelStore.find(
                    id: id, organizationID: caller.organizationID, forUpdate: true, on: connection)
            else { throw RPCError(.notFound, "channel not found") }
            if let name = request.name { record.channel.name = name.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let agentID { record.agentID = agentID }
            if let status = request.status { record.channel.status = status }
            if let value = request.phoneNumber { record.channel.phoneNumber = value }
            if let value = request.phoneNumberId { record.channel.phoneNumberId = value }
            if let value = request.businessAccountId { record.channel.businessAccountId = value }
            if let value = request.instagramAccountId { record.channel.instagramAccountId = value }
            if let value = request.instagramUsername { record.channel.instagramUsername = value }
            if request.setAllowedOrigins { record.channel.allowedOrigins = request.allowedOrigins }
            if record.channel.type != "webchat" {
                try record.secrets.apply(request.config ?? .init(), channelID: id, keyRing: keyRing)
            }
            let missing = Self.requiredSecrets[record.channel.type, default: []].filter { !record.secrets.has($0) }
            guard missing.isEmpty else {
                throw RPCError(
                    .invalidArgument,
                    "a \(record.channel.type) channel needs config.\(missing.map(\.rawValue).joined(separator: ", config."))"
                )
            }
            if record.channel.type == "whatsapp", record.channel.phoneNumberId.isEmpty {
                throw RPCError(.invalidArgument, "a whatsapp channel needs phone_number_id")
            }
            if record.channel.type == "instagram", record.channel.instagramAccountId.isEmpty {
                throw RPCError(.invalidArgument, "an instagram channel needs instagram_account_id")
            }
            return try await ChannelStore.update(record, on: connection).channel
        }
    }

    func deleteChannel(
        _ request: Conversations.DeleteChannelRequest, _ context: RPCContext
    ) async throws -> Conversations.DeleteChannelResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.channelsManage)
        let id = try Self.channelID(request.channelId)
        let deleted = try await database.withConnection { connection in
            try await ChannelStore.delete(id: id, organizationID: caller.organizationID, on: connection)
        }
        guard deleted else { throw RPCError(.notFound, "channel not found") }
        return Conversations.DeleteChannelResponse()
    }

    // MARK: - Checks

    /// A channel id from a path: anything that is not a UUID names no channel.
    static func channelID(_ text: String) throws -> UUID {
        guard let id = UUID(canonicalText: text) else { throw RPCError(.notFound, "channel not found") }
        return id
    }

    /// The agent id, once agents confirmed it belongs to the caller's organization.
    func checkAgent(_ text: String, caller: AuthenticatedCaller, context: RPCContext) async throws -> UUID {
        guard let agentID = UUID(canonicalText: text) else {
            throw RPCError(.invalidArgument, "agent_id must be the id of one of the organization's agents")
        }
        guard let agents else { return agentID }
        do {
            _ = try await agents.call(
                Agents.Service.getAgentStatus,
                Agents.GetAgentStatusRequest(
                    organizationId: caller.organizationIDString, agentId: agentID.lowercasedString),
                metadata: CallMetadata(requestID: context.metadata.requestID, caller: "conversations"),
                timeout: .seconds(5))
        } catch let error as RPCError where error.code == .notFound {
            throw RPCError(.notFound, "agent not found")
        } catch let error as RPCError where error.code == .unimplemented {
            logger.debug("agents does not answer GetAgentStatus yet; agent link accepted unchecked")
        }
        return agentID
    }

    static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 255 else {
            throw RPCError(.invalidArgument, "name must be 1 to 255 characters")
        }
    }

    static func checkIdentifiers(
        phoneNumber: String, phoneNumberID: String, businessAccountID: String, instagramAccountID: String,
        instagramUsername: String
    ) throws {
        let limits: [(String, String, Int)] = [
            ("phone_number", phoneNumber, 20), ("phone_number_id", phoneNumberID, 100),
            ("business_account_id", businessAccountID, 100), ("instagram_account_id", instagramAccountID, 100),
            ("instagram_username", instagramUsername, 100),
        ]
        for (field, value, limit) in limits where value.count > limit || value.unicodeScalars.contains("\0") {
            throw RPCError(.invalidArgument, "\(field) must be at most \(limit) characters")
        }
    }

    /// Telegram's rule for setWebhook's secret_token: 1–256 of `A-Z a-z 0-9 _ -`.
    static func checkSecretToken(_ token: String?) throws {
        guard let token, !token.isEmpty else { return }
        let allowed = token.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x5f || byte == 0x2d
        }
        guard allowed, token.utf8.count <= 256 else {
            throw RPCError(.invalidArgument, "config.secret_token must be 1 to 256 of A-Z, a-z, 0-9, _ and -")
        }
    }

    /// Web chat origins: `http(s)://host[:port]`, at most 20.
    static func checkOrigins(_ origins: [String]) throws {
        guard origins.count <= 20 else { throw RPCError(.invalidArgument, "at most 20 allowed_origins") }
        for origin in origins {
            guard origin.count <= 255, let url = URL(string: origin), let scheme = url.scheme,
                ["http", "https"].contains(scheme), url.host != nil, url.path.isEmpty, url.query == nil
            else {
                throw RPCError(.invalidArgument, "allowed_origins must be origins like https://shop.example.com")
            }
        }
    }
}
