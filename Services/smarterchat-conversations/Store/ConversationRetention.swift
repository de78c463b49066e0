import Foundation
import Postgres

/// The retention rules of seed §7, run by a scheduled job: messages older than the retention
/// period go (whole monthly partitions dropped, the rest deleted in batches), closed
/// conversations are archived 90 days after closing, expired web chat sessions and inbound
/// receipts older than Meta's retry horizon are purged.
enum ConversationRetention {
    struct Outcome: Sendable, Equatable {
        var droppedPartitions = 0
        var deletedMessages = 0
        var archivedConversations = 0
        var purgedSessions = 0
        var purgedReceipts = 0
    }

    /// Runs every rule once; `messageRetentionDays` defaults to the seed's year.
    static func run(
        messageRetentionDays: Int = 365, archiveAfterDays: Int = 90, receiptDays: Int = 30,
        on connection: PostgresConnection
    ) async throws -> Outcome {
        var outcome = Outcome()
        let cutoff = Date().addingTimeInterval(-Double(messageRetentionDays) * 86_400)
        outcome.droppedPartitions =
            try await connection.query(
                "SELECT drop_expired_message_partitions($1) AS n", [cutoff]
            ).firstRow.map { try $0.decode(Int.self, "n") } ?? 0
        // Batches keep each DELETE short; a backlog is worked off over a few runs.
        for _ in 0..<20 {
            let deleted = try await connection.execute(
                """
                DELETE FROM messages WHERE (id, created_at) IN (
                    SELECT id, created_at FROM messages WHERE created_at < $1 LIMIT 5000)
                """, [cutoff])
            outcome.deletedMessages += deleted
            if deleted < 5000 { break }
        }
        outcome.archivedConversations =
            try await connection.query(
                """
                WITH archived AS (
                    UPDATE conversations SET status = 'archived'
                    WHERE status = 'closed' AND closed_at < CURRENT_TIMESTAMP - make_interval(days => $1::int)
                    RETURNING id, organization_id
                ), logged AS (
                    INSERT INTO conversation_events (organization_id, conversation_id, event_type, actor_type, payload)
                    SELECT organization_id, id, 'archived', 'system', '{"reason":"closed for 90 days"}'::jsonb
                    FROM archived
                )
                SELECT count(*)::bigint AS n FROM archived
                """, [archiveAfterDays]
            ).firstRow.map { Int(try $0.decode(Int64.self, "n")) } ?? 0
        outcome.purgedSessions = try await WebchatSessionStore.purgeExpired(on: connection)
        outcome.purgedReceipts = try await connection.execute(
            "DELETE FROM inbound_receipts WHERE received_at < CURRENT_TIMESTAMP - make_interval(days => $1::int)",
            [receiptDays])
        return outcome
    }
}
