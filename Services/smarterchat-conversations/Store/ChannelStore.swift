// SQL assembled here only joins constant column lists (no values): `unsafeSQL` is safe.
import Contracts
import Foundation
import Postgres

/// SQL for `channels`: every query names the organization, except the callbacks' lookups by
/// channel id and web chat public id (the id is what the public URL carries).
enum ChannelStore {
    /// A stored channel: what the API shows plus the sealed secrets.
    struct Record: Sendable {
        var channel: Conversations.Channel
        var id: UUID
        var organizationID: UUID
        var agentID: UUID?
        var secrets: ChannelSecretBox
    }

    static let columns = """
        id, organization_id, agent_id, type, name, config, status, COALESCE(error_message, '') AS error_message,
        COALESCE(phone_number, '') AS phone_number, COALESCE(phone_number_id, '') AS phone_number_id,
        COALESCE(business_account_id, '') AS business_account_id,
        COALESCE(instagram_account_id, '') AS instagram_account_id,
        COALESCE(instagram_username, '') AS instagram_username, COALESCE(webhook_url, '') AS webhook_url,
        COALESCE(public_id, '') AS public_id, allowed_origins,
        COALESCE(to_char(last_sync_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS last_sync_at,
        COALESCE(to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS created_at,
        COALESCE(to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS updated_at
        """

    static func record(from row: PostgresRow) throws -> Record {
        let id = try row.decode(UUID.self, "id")
        let organizationID = try row.decode(UUID.self, "organization_id")
        let agentID = try row.decode(UUID?.self, "agent_id")
        let secrets = ChannelSecretBox(config: try row.decode(PostgresJSON?.self, "config"))
        let channel = Conversations.Channel(
            id: id.lowercasedString, organizationId: organizationID.lowercasedString,
            agentId: agentID?.lowercasedString ?? "", type: try row.decode(String.self, "type"),
            name: try row.decode(String.self, "name"), status: try row.decode(String.self, "status"),
            errorMessage: try row.decode(String.self, "error_message"),
            phoneNumber: try row.decode(String.self, "phone_number"),
            phoneNumberId: try row.decode(String.self, "phone_number_id"),
            businessAccountId: try row.decode(String.self, "business_account_id"),
            instagramAccountId: try row.decode(String.self, "instagram_account_id"),
            instagramUsername: try row.decode(String.self, "instagram_username"),
            webhookUrl: try row.decode(String.self, "webhook_url"), publicId: try row.decode(String.self, "public_id"),
            config: secrets.summary, allowedOrigins: try row.decode([String].self, "allowed_origins"),
            lastSyncAt: try row.decode(String.self, "last_sync_at"),
            createdAt: try row.decode(String.self, "created_at"), updatedAt: try row.decode(String.self, "updated_at"))
        return Record(channel: channel, id: id, organizationID: organizationID, agentID: agentID, secrets: secrets)
    }

    /// The organization's channels (not deleted), oldest first, optionally of one type.
    static func list(organizationID: UUID, type: String?, on connection: PostgresConnection) async throws -> [Record] {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM channels
                    WHERE organization_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR type = $2)
                    ORDER BY created_at, id
                    """), [organizationID, type]
        ).map(record(from:))
    }

    /// One channel of the organization; nil when missing, deleted or another organization's.
    static func find(
        id: UUID, organizationID: UUID, forUpdate: Bool = false, on connection: PostgresConnection
    ) async throws -> Record? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM channels
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL \(forUpdate ? "FOR UPDATE" : "")
                    """), [id, organizationID]
        ).firstRow.map(record(from:))
    }

    /// The channel a callback URL names (any organization); nil when missing or deleted.
    static func callbackTarget(id: UUID, on connection: PostgresConnection) async throws -> Record? {
        try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT \(columns) FROM channels WHERE id = $1 AND deleted_at IS NULL"), [id]
        ).firstRow.map(record(from:))
    }

    /// The organization's WhatsApp channel of business number `phoneNumberID`; nil when none.
    static func whatsAppNumber(
        _ phoneNumberID: String, organizationID: UUID, on connection: PostgresConnection
    ) async throws -> Record? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM channels
                    WHERE organization_id = $1 AND type = 'whatsapp' AND phone_number_id = $2 AND deleted_at IS NULL
                    ORDER BY created_at LIMIT 1
                    """), [organizationID, phoneNumberID]
        ).firstRow.map(record(from:))
    }

    /// The web chat channel with `publicID`; nil when missing, deleted or inactive.
    static func webchat(publicID: String, on connection: PostgresConnection) async throws -> Record? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM channels
                    WHERE public_id = $1 AND type = 'webchat' AND deleted_at IS NULL AND status <> 'inactive'
                    """), [publicID]
        ).firstRow.map(record(from:))
    }

    /// Inserts a channel whose id was chosen by the caller (the secrets are bound to it).
    static func insert(
        id: UUID, organizationID: UUID, request: Conversations.CreateChannelRequest, agentID: UUID?,
        secrets: ChannelSecretBox, publicID: String?, webhookURL: String, on connection: PostgresConnection
    ) async throws -> Record {
        func blank(_ text: String) -> String? { text.isEmpty ? nil : text }
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO channels (id, organization_id, agent_id, type, name, config, phone_number, phone_number_id,
                        business_account_id, instagram_account_id, instagram_username, webhook_url, public_id,
                        allowed_origins, status)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active')
                    RETURNING \(columns)
                    """),
            [
                id, organizationID, agentID, request.type, request.name, secrets.config, blank(request.phoneNumber),
                blank(request.phoneNumberId), blank(request.businessAccountId), blank(request.instagramAccountId),
                blank(request.instagramUsername), webhookURL, publicID, request.allowedOrigins,
            ])
        return try Self.record(from: rows.firstRow!)
    }

    /// Writes the editable columns of `record` back.
    static func update(_ record: Record, on connection: PostgresConnection) async throws -> Record {
        func blank(_ text: String) -> String? { text.isEmpty ? nil : text }
        let channel = record.channel
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE channels SET name = $3, agent_id = $4, status = $5,
                        error_message = CASE WHEN $5 = 'error' THEN error_message END,
                        phone_number = $6, phone_number_id = $7, business_account_id = $8, instagram_account_id = $9,
                        instagram_username = $10, config = $11, allowed_origins = $12
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    RETURNING \(columns)
                    """),
            [
                record.id, record.organizationID, channel.name, record.agentID, channel.status,
                blank(channel.phoneNumber), blank(channel.phoneNumberId), blank(channel.businessAccountId),
                blank(channel.instagramAccountId), blank(channel.instagramUsername), record.secrets.config,
                channel.allowedOrigins,
            ])
        return try Self.record(from: rows.firstRow!)
    }

    /// Soft-deletes a channel and forgets its secrets; false when there was none.
    static func delete(id: UUID, organizationID: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE channels SET deleted_at = CURRENT_TIMESTAMP, status = 'inactive', config = '{}'
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
            """, [id, organizationID]) == 1
    }
}
