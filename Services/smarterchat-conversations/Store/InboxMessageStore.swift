import Contracts
import Foundation
import Postgres

/// A message row as the inbox reads it, with its page order key.
struct InboxMessageRow: Sendable {
    var message: Conversations.InboxMessage
    /// created_at exactly as PostgreSQL printed it (cursors round-trip it).
    var createdKey: String
    /// created_at as decoded (microseconds), to address the row in its partition.
    var createdAt: Date
}

/// SQL of messages as operators read and write them.
enum InboxMessageStore {
    static let columns = """
        id, conversation_id, sender_type, sender_id, content, content_type, media_url, direction, status,
        external_metadata->>'error' AS error, ai_generated, ai_model, ai_confidence::float8 AS ai_confidence,
        intent, external_id, sent_at, delivered_at, read_at, created_at, created_at::text AS created_key
        """

    static func conversationExists(
        _ id: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> Bool
    {
        try await !connection.query(
            "SELECT 1 FROM conversations WHERE id = $1 AND organization_id = $2", [id, organizationID]
        ).isEmpty
    }

    /// Messages older than `before` (created_at, id), newest first. Pages walk a fixed order
    /// that new messages (always newer than the first page) never enter, so no message is
    /// skipped or repeated while others arrive.
    ///
    /// The first page and the later ones are two statements, with the row count a literal of
    /// the text (`columns` is a constant of this file and `limit` an integer: no value goes
    /// into it), so that PostgreSQL can settle on a generic plan for each rather than plan
    /// every page again (see `InboxStore.listQuery`).
    static func page(
        conversationID: UUID, before: (key: String, id: UUID)?, limit: Int, on connection: PostgresConnection
    ) async throws -> [InboxMessageRow] {
        let older = before == nil ? "" : "AND (created_at, id) < ($2::timestamptz, $3::uuid)"
        var binds: [any PostgresEncodable] = [conversationID]
        if let before { binds += [before.key, before.id] }
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM messages
                    WHERE conversation_id = $1 \(older)
                    ORDER BY created_at DESC, id DESC
                    LIMIT \(limit)
                    """), binds)
        return try rows.map(decode)
    }

    /// One message of a conversation.
    static func find(
        _ id: UUID, conversationID: UUID, on connection: PostgresConnection
    ) async throws
        -> InboxMessageRow?
    {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT \(columns) FROM messages WHERE id = $1 AND conversation_id = $2"),
            [id, conversationID])
        return try rows.firstRow.map(decode)
    }

    /// What an outbound message needs besides its content.
    struct Outbound: Sendable {
        var conversationID: UUID
        var senderType: String
        var senderID: UUID?
        var content: String
        var contentType: String = "text"
        var status: String = "pending"
        var metadata: PostgresJSON? = nil
        var ai: GeneratedReply? = nil
    }

    /// The AI's side of a reply (seed columns of messages).
    struct GeneratedReply: Sendable {
        var model: String
        var confidence: Double?
        var processingTimeMs: Int
        var promptTokens: Int
        var completionTokens: Int
        var intent: String?
        var entities: PostgresJSON
    }

    /// Inserts an outbound message and answers it.
    static func insertOutbound(_ message: Outbound, on connection: PostgresConnection) async throws -> InboxMessageRow {
        let ai = message.ai
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO messages (
                        conversation_id, sender_type, sender_id, content, content_type, direction, status,
                        ai_generated, ai_model, ai_confidence, ai_processing_time_ms, prompt_tokens,
                        completion_tokens, intent, entities, external_metadata, sent_at)
                    VALUES ($1, $2, $3, $4, $5, 'outbound', $6, $7, $8, $9::numeric(3,2), $10, $11, $12, $13,
                            COALESCE($14, '{}'::jsonb), $15, CASE WHEN $6 = 'sent' THEN CURRENT_TIMESTAMP END)
                    RETURNING \(columns)
                    """),
            [
                message.conversationID, message.senderType, message.senderID, message.content, message.contentType,
                message.status, ai != nil, ai?.model, ai?.confidence.map { min(max($0, 0), 1) },
                ai?.processingTimeMs, ai?.promptTokens, ai?.completionTokens, ai?.intent, ai?.entities,
                message.metadata,
            ])
        return try decode(rows.firstRow!)
    }

    static func decode(_ row: PostgresRow) throws -> InboxMessageRow {
        var m = Conversations.InboxMessage()
        m.id = try row.decode(UUID.self, "id").lowercasedString
        m.conversationId = try row.decode(UUID.self, "conversation_id").lowercasedString
        m.senderType = try row.decode(String.self, "sender_type")
        m.senderId = try row.decode(UUID?.self, "sender_id")?.lowercasedString ?? ""
        m.content = try row.decode(String.self, "content")
        m.contentType = try row.decode(String?.self, "content_type") ?? "text"
        m.mediaUrl = try row.decode(String?.self, "media_url") ?? ""
        m.direction = try row.decode(String.self, "direction")
        m.status = try row.decode(String?.self, "status") ?? ""
        m.error = try row.decode(String?.self, "error") ?? ""
        m.aiGenerated = try row.decode(Bool?.self, "ai_generated") ?? false
        m.aiModel = try row.decode(String?.self, "ai_model") ?? ""
        m.aiConfidence = try row.decode(Double?.self, "ai_confidence")
        m.intent = try row.decode(String?.self, "intent") ?? ""
        m.externalId = try row.decode(String?.self, "external_id") ?? ""
        m.sentAt = RFC3339.string(try row.decode(Date?.self, "sent_at"))
        m.deliveredAt = RFC3339.string(try row.decode(Date?.self, "delivered_at"))
        m.readAt = RFC3339.string(try row.decode(Date?.self, "read_at"))
        let createdAt = try row.decode(Date.self, "created_at")
        m.createdAt = RFC3339.string(createdAt)
        return InboxMessageRow(message: m, createdKey: try row.decode(String.self, "created_key"), createdAt: createdAt)
    }
}
