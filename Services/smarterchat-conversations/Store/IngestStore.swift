import Foundation
import Postgres
import ServiceKit

/// SQL of inbound ingest (one transaction per callback): the receipt (dedupe key), the
/// contact's open conversation, the message, the reply job, the timeline and live-feed rows.
enum IngestStore {
    /// The conversation an inbound message lands in.
    struct ConversationRef: Sendable {
        var id: UUID
        var created: Bool
        var mode: String
        var leadID: UUID?
        var overPlanLimit: Bool
    }

    /// The conversation and message an earlier delivery of `externalID` stored; nil when new.
    static func receipt(
        channelID: UUID, externalID: String, on connection: PostgresConnection
    ) async throws -> (conversationID: UUID, messageID: UUID)? {
        try await connection.query(
            """
            SELECT conversation_id, message_id FROM inbound_receipts
            WHERE channel_id = $1 AND external_message_id = $2
            """, [channelID, externalID]
        ).firstRow.map { (try $0.decode(UUID.self, "conversation_id"), try $0.decode(UUID.self, "message_id")) }
    }

    /// What an inbound message finds: where an earlier delivery stored it, else the contact's
    /// open conversation (locked), else neither.
    enum Lookup: Sendable {
        case earlier(conversationID: UUID, messageID: UUID)
        case open(ConversationRef, unnamed: Bool)
        case neither
    }

    /// ``receipt(channelID:externalID:on:)`` and the first step of
    /// ``findOrOpen(organizationID:channelID:agentID:contact:contactName:contactMetadata:on:)``
    /// in one statement (one round trip for every message of a known contact): the receipt,
    /// and, only when there is none, the contact's open conversation, locked FOR NO KEY UPDATE
    /// for the rest of the transaction.
    static func lookUp(
        channelID: UUID, externalID: String, contact: String, on connection: PostgresConnection
    ) async throws -> Lookup {
        let rows = try await connection.query(
            """
            SELECT r.conversation_id AS earlier_conversation_id, r.message_id AS earlier_message_id,
                   c.id, c.mode, c.lead_id, c.over_plan_limit, c.unnamed
            FROM (VALUES (1)) AS one (n)
            LEFT JOIN inbound_receipts r ON r.channel_id = $1 AND r.external_message_id = $2
            LEFT JOIN LATERAL (
                SELECT id, mode, lead_id, over_plan_limit, contact_name IS NULL AS unnamed FROM conversations
                WHERE channel_id = $1 AND contact_identifier = $3 AND status IN ('active', 'waiting')
                  AND r.conversation_id IS NULL
                FOR NO KEY UPDATE) c ON TRUE
            """, [channelID, externalID, contact])
        guard let row = rows.firstRow else { return .neither }
        if let conversationID = try row.decode(UUID?.self, "earlier_conversation_id") {
            return .earlier(conversationID: conversationID, messageID: try row.decode(UUID.self, "earlier_message_id"))
        }
        guard try row.decode(UUID?.self, "id") != nil else { return .neither }
        return .open(try reference(row, created: false), unnamed: try row.decode(Bool.self, "unnamed"))
    }

    /// Writes the contact's name on a conversation that has none yet.
    static func name(_ conversationID: UUID, _ contactName: String, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "UPDATE conversations SET contact_name = $2 WHERE id = $1 AND contact_name IS NULL",
            [conversationID, contactName])
    }

    /// The contact's open conversation on the channel, opened when there is none. Concurrent
    /// first messages meet on the partial unique index: one inserts, the others wait for it
    /// and then read its row.
    static func findOrOpen(
        organizationID: UUID, channelID: UUID, agentID: UUID?, contact: String, contactName: String?,
        contactMetadata: PostgresJSON, on connection: PostgresConnection
    ) async throws -> ConversationRef {
        // The contact's open conversation first (the common case: one statement, which also
        // locks it for the rest of the transaction), else a new one; a concurrent opener that
        // won the unique index makes the insert do nothing and the next round finds its row.
        for _ in 0..<3 {
            // FOR NO KEY UPDATE (the lock an UPDATE takes: foreign-key checks of other
            // transactions do not wait for it) locks without writing a new row version; the name is written only
            // when the conversation has none yet (every message used to rewrite the row).
            let existing = try await connection.query(
                """
                SELECT id, mode, lead_id, over_plan_limit, contact_name IS NULL AS unnamed FROM conversations
                WHERE channel_id = $1 AND contact_identifier = $2 AND status IN ('active', 'waiting')
                FOR NO KEY UPDATE
                """, [channelID, contact])
            if let row = existing.firstRow {
                let found = try reference(row, created: false)
                if let contactName, try row.decode(Bool.self, "unnamed") {
                    try await name(found.id, contactName, on: connection)
                }
                return found
            }
            let inserted = try await connection.query(
                """
                INSERT INTO conversations (organization_id, channel_id, agent_id, contact_identifier, contact_name,
                    contact_metadata)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (channel_id, contact_identifier) WHERE status IN ('active', 'waiting') DO NOTHING
                RETURNING id, mode, lead_id, over_plan_limit
                """, [organizationID, channelID, agentID, contact, contactName, contactMetadata])
            if let row = inserted.firstRow {
                return try reference(row, created: true)
            }
        }
        throw IngestConflict()
    }

    struct IngestConflict: Error {}

    static func reference(_ row: PostgresRow, created: Bool) throws -> ConversationRef {
        ConversationRef(
            id: try row.decode(UUID.self, "id"), created: created, mode: try row.decode(String.self, "mode"),
            leadID: try row.decode(UUID?.self, "lead_id"), overPlanLimit: try row.decode(Bool.self, "over_plan_limit"))
    }

    /// Records the receipt; false when another delivery of the same message got there first.
    static func insertReceipt(
        channelID: UUID, externalID: String, organizationID: UUID, conversationID: UUID, messageID: UUID,
        on connection: PostgresConnection
    ) async throws -> Bool {
        try await connection.execute(
            """
            INSERT INTO inbound_receipts (channel_id, external_message_id, organization_id, conversation_id, message_id)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            """, [channelID, externalID, organizationID, conversationID, messageID]) == 1
    }

    /// Stores the contact's message (the seed trigger counts it on the conversation), asks
    /// for an AI reply when `requestReply` (a pending job of the conversation is moved to the
    /// newest message — one reply to a burst — else a new job is added), and appends
    /// `message.received` to the outbox and the timeline (their notifications go out after
    /// commit): one statement, one round trip, for what every inbound message writes. The caller holds
    /// the conversation's row lock (``findOrOpen``), so two messages of one contact cannot
    /// both add a job.
    ///
    /// With `receipt` (the caller has not inserted it), the message's receipt is inserted by
    /// the same statement first, and everything else is written only when that insert was
    /// not a conflict: answers false, having written nothing, when an earlier delivery of the
    /// same external message holds the receipt.
    static func storeMessage(
        id: UUID, conversationID: UUID, organizationID: UUID, message: InboundMessage, requestReply: Bool,
        event: PostgresJSON, receipt channelID: UUID? = nil, on connection: PostgresConnection
    ) async throws -> Bool {
        // The parameters carry explicit types: in INSERT … SELECT a parameter sent without a
        // type (a nil) would be taken as text, not as its column's type.
        let rows = try await connection.query(
            """
            WITH receipt AS (
                INSERT INTO inbound_receipts (channel_id, external_message_id, organization_id, conversation_id, message_id)
                SELECT $13::uuid, $7::text, $11::uuid, $2::uuid, $1::uuid WHERE $13::uuid IS NOT NULL
                ON CONFLICT DO NOTHING
                RETURNING message_id
            ), go AS (
                SELECT $13::uuid IS NULL OR EXISTS (SELECT 1 FROM receipt) AS ok
            ), message AS (
                INSERT INTO messages (id, conversation_id, sender_type, content, content_type, media_url,
                    media_metadata, direction, status, external_id, external_metadata, sent_at)
                SELECT $1::uuid, $2::uuid, 'contact', $3::text, $4::text, $5::text, $6::jsonb, 'inbound', 'delivered',
                    $7::text, $8::jsonb, COALESCE($9::timestamptz, CURRENT_TIMESTAMP)
                FROM go WHERE go.ok
                RETURNING id
            ), moved AS (
                UPDATE reply_jobs SET trigger_message_id = $1::uuid
                FROM go
                WHERE go.ok AND $10::boolean AND conversation_id = $2::uuid AND status = 'pending'
                RETURNING reply_jobs.id
            ), added AS (
                INSERT INTO reply_jobs (organization_id, conversation_id, trigger_message_id)
                SELECT $11::uuid, $2::uuid, $1::uuid FROM go
                WHERE go.ok AND $10::boolean AND NOT EXISTS (SELECT 1 FROM moved)
                RETURNING id
            ), outboxed AS (
                INSERT INTO outbox (organization_id, event_type, aggregate_type, aggregate_id, payload)
                SELECT $11::uuid, 'message.received', 'conversation', $2::uuid, $12::jsonb FROM go WHERE go.ok
                RETURNING id
            ), timeline AS (
                INSERT INTO conversation_events (organization_id, conversation_id, event_type, actor_type, payload)
                SELECT $11::uuid, $2::uuid, 'message.received', 'contact', $12::jsonb FROM go WHERE go.ok
                RETURNING organization_id
            )
            SELECT EXISTS (SELECT 1 FROM message) AS stored
            """,
            [
                id, conversationID, message.content, message.contentType, message.mediaURL,
                message.mediaMetadata.map(PostgresJSON.init(text:)), message.externalID,
                PostgresJSON(text: message.externalMetadata), message.sentAt, requestReply, organizationID, event,
                channelID,
            ])
        guard try rows.firstRow?.decode(Bool.self, "stored") == true else { return false }
        Outbox.notifyAfterCommit(on: connection)
        if requestReply { WorkNotifications.queued(.reply, on: connection) }
        InboxTimeline.notifyFeeds(organizationID: organizationID, on: connection)
        return true
    }

    static func setLead(conversationID: UUID, leadID: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "UPDATE conversations SET lead_id = $2 WHERE id = $1 AND lead_id IS NULL", [conversationID, leadID])
    }

    /// Marks a conversation opened over the plan's monthly conversations.
    static func flagOverPlanLimit(conversationID: UUID, limit: Int, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            UPDATE conversations SET over_plan_limit = TRUE,
                context = COALESCE(context, '{}'::jsonb) || jsonb_build_object('plan_limit',
                    jsonb_build_object('max_conversations_per_month', $2::int,
                        'reason', 'the plan''s conversations of this month are used up: no AI reply'))
            WHERE id = $1
            """, [conversationID, limit])
    }

    /// The organization's conversations opened this month (UTC).
    static func conversationsThisMonth(organizationID: UUID, on connection: PostgresConnection) async throws -> Int {
        try await connection.query(
            """
            SELECT count(*)::bigint AS n FROM conversations
            WHERE organization_id = $1
              AND created_at >= date_trunc('month', CURRENT_TIMESTAMP AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
            """, [organizationID]
        ).firstRow.map { Int(try $0.decode(Int64.self, "n")) } ?? 0
    }

    /// Appends a timeline / live feed row and wakes the feed's readers at commit.
    static func appendEvent(
        organizationID: UUID, conversationID: UUID?, type: String, actorType: String, payload: PostgresJSON,
        on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO conversation_events (organization_id, conversation_id, event_type, actor_type, payload)
            VALUES ($1, $2, $3, $4, $5)
            """, [organizationID, conversationID, type, actorType, payload])
        InboxTimeline.notifyFeeds(organizationID: organizationID, on: connection)
    }

    /// A delivery status applied to our message with `externalID` on the channel; statuses
    /// only move forward (sent < delivered < read; failed only before delivery), since
    /// Meta may deliver them out of order. Answers the message when its status changed.
    ///
    /// A failure keeps the provider's errors (`external_metadata.errors`) and its reason where
    /// a refused send puts it (`external_metadata.error`, which the inbox shows), and fails the
    /// message's delivery row, which had been `sent`, so that an operator can retry it
    /// (``DeliveryStore/requeue(messageID:conversationID:on:)``). A failure reported again
    /// finds the message failed already and changes nothing.
    static func applyStatus(
        _ status: InboundStatus, channelID: UUID, on connection: PostgresConnection
    ) async throws -> (messageID: UUID, conversationID: UUID)? {
        let failure = status.status == "failed" ? status.error ?? InboundStatus.unexplainedFailure : nil
        let rows = try await connection.query(
            """
            WITH target AS (
                SELECT m.id, m.created_at, m.status FROM messages m
                JOIN conversations c ON c.id = m.conversation_id
                WHERE m.external_id = $1 AND m.direction = 'outbound' AND c.channel_id = $2
                LIMIT 1
            ), ranked AS (
                SELECT id, created_at,
                    CASE status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4
                        ELSE 0 END AS old_rank,
                    CASE $3::text WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 0 END AS new_rank
                FROM target
            ), moved AS (
                UPDATE messages m SET
                    status = $3,
                    sent_at = CASE WHEN $3 = 'sent' THEN COALESCE($4, m.sent_at) ELSE m.sent_at END,
                    delivered_at = CASE WHEN $3 IN ('delivered', 'read')
                        THEN COALESCE(m.delivered_at, $4, CURRENT_TIMESTAMP) ELSE m.delivered_at END,
                    read_at = CASE WHEN $3 = 'read' THEN COALESCE(m.read_at, $4, CURRENT_TIMESTAMP) ELSE m.read_at END,
                    external_metadata = CASE WHEN $5::jsonb IS NULL AND $6::text IS NULL THEN m.external_metadata
                        ELSE COALESCE(m.external_metadata, '{}'::jsonb) || COALESCE($5::jsonb, '{}'::jsonb)
                            || CASE WHEN $6::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', $6::text) END
                        END
                FROM ranked r
                WHERE m.id = r.id AND m.created_at = r.created_at
                  AND ((r.new_rank > r.old_rank AND r.old_rank < 4) OR ($3 = 'failed' AND r.old_rank IN (0, 1)))
                RETURNING m.id, m.conversation_id
            ), failed_delivery AS (
                UPDATE outbound_deliveries d SET status = 'failed', last_error = $6::text
                FROM moved
                WHERE $6::text IS NOT NULL AND d.message_id = moved.id AND d.conversation_id = moved.conversation_id
                  AND d.status = 'sent'
                RETURNING d.id
            )
            SELECT id, conversation_id FROM moved
            """,
            [
                status.externalID, channelID, status.status, status.timestamp,
                status.errors.map(PostgresJSON.init(text:)), failure,
            ])
        guard let row = rows.firstRow else { return nil }
        return (try row.decode(UUID.self, "id"), try row.decode(UUID.self, "conversation_id"))
    }
}
