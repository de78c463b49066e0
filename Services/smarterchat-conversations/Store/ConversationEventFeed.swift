// SQL assembled here only joins constant column lists (no values): `unsafeSQL` is safe.
import Contracts
import Foundation
import Postgres

/// Reads `conversation_events` in `seq` order: the organization's live feed for the console
/// and one conversation's message events for a web chat visitor.
///
/// `seq` comes from a sequence, so a row with a smaller seq can commit after one with a
/// larger seq; a reader that skipped past it would lose it. The feed therefore only shows
/// rows older than every transaction still running that could insert one: it stops before
/// the smallest seq not yet visible (`pg_snapshot_xmin` bounds the in-flight writers), so
/// resuming after the last seq seen (Last-Event-ID) has no gaps.
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

    /// The organization's events after `afterSeq`, oldest first.
    static func organization(
        _ organizationID: UUID, after afterSeq: Int64, limit: Int, on connection: PostgresConnection
    ) async throws -> [Conversations.ConversationEvent] {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM conversation_events
                    WHERE organization_id = $1 AND seq > $2 \(settled)
                    ORDER BY seq LIMIT $3
                    """), [organizationID, afterSeq, limit]
        ).map(event(from:))
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
                    WHERE organization_id = $1 AND seq > $2
                      AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = $3 AND contact_identifier = $4)
                      AND event_type IN ('message.received', 'message.sent', 'message.delivered', 'message.read',
                                         'message.failed', 'conversation.closed')
                      \(settled)
                    ORDER BY seq LIMIT $5
                    """), [organizationID, afterSeq, channelID, contact, limit]
        ).map(event(from:))
    }

    /// Rows whose writer committed before every transaction still running began (its xmin
    /// precedes the snapshot's xmin, compared as PostgreSQL compares 32-bit xids, modulo 2^32;
    /// frozen xids are old). A row of a transaction in flight, which may hold a smaller seq,
    /// holds back the rows after it until it commits: latency, never a gap.
    static let settled = """
        AND (xmin::text::bigint < 3
             OR (xmin::text::bigint - pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296
                 + 4294967296) % 4294967296 > 2147483648)
        """
}
