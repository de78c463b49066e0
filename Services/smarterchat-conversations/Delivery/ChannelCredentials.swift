import Cryptography
import Foundation
import Postgres
import ServiceKit

/// What a sender needs of a channel: its type and status, provider ids and opened tokens
/// (from `channels.config`, sealed as ``ChannelSecretBox`` keeps them). Never logged.
struct ChannelCredentials: Sendable {
    var channelID: UUID
    var organizationID: UUID
    var type: String
    var status: String
    var errorMessage: String?
    var deleted: Bool
    var phoneNumberID: String?
    var instagramAccountID: String?
    /// WhatsApp / Instagram Graph API token.
    var accessToken: String?
    /// Telegram bot token.
    var botToken: String?

    /// The channel's credentials; nil when the channel no longer exists. A secret that does
    /// not open throws (the caller records it as the delivery's failure).
    static func load(
        _ channelID: UUID, keyRing: KeyRing?, on connection: PostgresConnection
    ) async throws
        -> ChannelCredentials?
    {
        let rows = try await connection.query(
            """
            SELECT id, organization_id, type, status, error_message, deleted_at IS NOT NULL AS deleted,
                   phone_number_id, instagram_account_id, config
            FROM channels WHERE id = $1
            """, [channelID])
        guard let row = rows.firstRow else { return nil }
        return try ChannelCredentials(
            channelID: channelID, organizationID: try row.decode(UUID.self, "organization_id"),
            type: try row.decode(String.self, "type"), status: try row.decode(String.self, "status"),
            errorMessage: try row.decode(String?.self, "error_message"), deleted: try row.decode(Bool.self, "deleted"),
            phoneNumberID: try row.decode(String?.self, "phone_number_id"),
            instagramAccountID: try row.decode(String?.self, "instagram_account_id"),
            sealedConfig: try row.decode(PostgresJSON?.self, "config"), keyRing: keyRing)
    }

    /// The credentials of the channel of a conversation locked by ``LifecycleStore/lock``
    /// (read with it: no statement of its own). A secret that does not open throws.
    static func opening(_ state: LockedConversation, keyRing: KeyRing?) throws -> ChannelCredentials {
        try ChannelCredentials(
            channelID: state.channelID, organizationID: state.organizationID, type: state.channelType,
            status: state.channelStatus, errorMessage: state.channelError, deleted: state.channelDeleted,
            phoneNumberID: state.phoneNumberID, instagramAccountID: state.instagramAccountID,
            sealedConfig: state.channelConfig, keyRing: keyRing)
    }

    /// Puts the channel in status `error` with `message` and emits `channel.error`, in the
    /// caller's transaction, unless it already is.
    static func markError(
        _ channelID: UUID, organizationID: UUID, message: String, on connection: PostgresConnection
    )
        async throws
    {
        let changed = try await connection.execute(
            """
            UPDATE channels SET status = 'error', error_message = $2
            WHERE id = $1 AND (status <> 'error' OR error_message IS DISTINCT FROM $2)
            """, [channelID, message])
        guard changed > 0 else { return }
        try await Outbox.append(
            Outbox.Event(
                type: "channel.error", organizationID: organizationID, aggregateType: "channel",
                aggregateID: channelID,
                payload: ["channel_id": channelID.lowercasedString, "status": "error", "error": message]),
            on: connection)
    }
}

extension ChannelCredentials {
    /// The channel's ids and status with the tokens of its sealed `config` opened.
    fileprivate init(
        channelID: UUID, organizationID: UUID, type: String, status: String, errorMessage: String?, deleted: Bool,
        phoneNumberID: String?, instagramAccountID: String?, sealedConfig: PostgresJSON?, keyRing: KeyRing?
    ) throws {
        let box = ChannelSecretBox(config: sealedConfig)
        self.init(
            channelID: channelID, organizationID: organizationID, type: type, status: status,
            errorMessage: errorMessage, deleted: deleted, phoneNumberID: phoneNumberID,
            instagramAccountID: instagramAccountID,
            accessToken: try box.open(.accessToken, channelID: channelID, keyRing: keyRing),
            botToken: try box.open(.botToken, channelID: channelID, keyRing: keyRing))
    }
}
