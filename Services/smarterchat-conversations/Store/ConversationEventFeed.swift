// SQL assembled here only joins constant column lists (no values): `unsafeSQL` is safe.
import Contracts
import Foundation
import Postgres

/// Reads `conversation_events` in `seq` order: the organization's live feed for the console
/// and one conversation's message events for a web chat visitor.
///
/// `seq` comes from a sequence taken at insert, so a row with a smaller seq can commit after
/// one with a larger seq; a reader that moved past the larger would lose the smaller. The
/// feeds therefore read in the order of the writers' transaction ids (`writer_xid`, migration
/// 0016), then seq, and only rows whose writer ended before every transaction still running
/// began (`writer_xid` before the snapshot's xmin). A row that becomes visible later belongs
/// to a transaction running now, whose id is at least that xmin: it sorts after all the feed
/// has shown. The cursor is the last seq shown (Last-Event-ID); its row gives the writer_xid
/// to resume after, so resuming has no gaps and no duplicates.
enum ConversationEventFeed {
    static let columns = """
        seq, COALESCE(conversation_id::text, '') AS conversation_id, event_type, actor_type,
        COALESCE(actor_id::text, '') AS actor_id, payload::text AS payload,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
        """

    static func event(from row: PostgresRow) throws -> Conversations.ConversationEvent {
        Conversations.ConversationEvent(
            seq: try row.decode(Int64.self, "seq"), conversationId: try row.decode(String.self, "conversation_id"),
            eventType: try row.decode(String.self, "event_type"), actorType: try row.decode(String.self, "actor_type"),
            actorId: try row.decode(String.self, "actor_id"), payloadJson: try row.decode(String.self, "payload"),
            createdAt: try row.decode(String.self, "created_at"))
    }

    /// The organization's events after the one with seq `afterSeq` (0: from the first), in
    /// feed order.
    static func organization(
        _ organizationID: UUID, after afterSeq: Int64, limit: Int, on connection: PostgresConnection
    ) async throws -> [Conversations.ConversationEvent] {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM conversation_events
                    WHERE organization_id = $1 \(after)
                    ORDER BY writer_xid, seq LIMIT $3
                    """), [organizationID, afterSeq, limit]
        ).map(event(from:))
    }

    /// The seq of the organization's last event a feed can show now: where a feed that starts
    /// from now resumes (0 when there is none yet).
    static func latest(_ organizationID: UUID, on connection: PostgresConnection) async throws -> Int64 {
        try await connection.query(
            """
            SELECT seq FROM conversation_events
            WHERE organization_id = $1 AND writer_xid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
            ORDER BY writer_xid DESC, seq DESC LIMIT 1
            """, [organizationID]
        ).firstRow.map { try $0.decode(Int64.self, "seq") } ?? 0
    }

    /// A web chat session's conversation: its message events (the visitor's own and the
    /// replies) after `afterSeq`.
    static func webchat(
        organizationID: UUID, contact: String, channelID: UUID, after afterSeq: Int64, limit: Int,
        on connection: PostgresConnection
    ) async throws -> [Conversations.ConversationEvent] {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM conversation_events
                    WHERE organization_id = $1
                      AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = $3 AND contact_identifier = $4)
                      AND event_type IN ('message.received', 'message.sent', 'message.delivered', 'message.read',
                                         'message.failed', 'conversation.closed')
                      \(after)
                    ORDER BY writer_xid, seq LIMIT $5
                    """), [organizationID, afterSeq, channelID, contact, limit]
        ).map(event(from:))
    }

    /// Rows after the cursor ($1 the organization, $2 the last seq shown) that a feed can show:
    /// after the cursor row's (writer_xid, seq), and written by a transaction that ended before
    /// every one still running began. A cursor whose row is gone (purged by retention, or never
    /// the organization's) resumes after its seq among the rows in feed order.
    static let after = """
        AND (writer_xid, seq) > (COALESCE((SELECT p.writer_xid FROM conversation_events p
                                           WHERE p.seq = $2 AND p.organization_id = $1), '0'::xid8), $2)
        AND (seq > $2 OR EXISTS (SELECT 1 FROM conversation_events p WHERE p.seq = $2 AND p.organization_id = $1))
        AND writer_xid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
        """
}
