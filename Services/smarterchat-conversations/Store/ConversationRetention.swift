import Foundation
import Postgres

/// The retention rules of seed §7, run by a scheduled job: messages older than the retention
/// period go (whole monthly partitions dropped, the rest deleted in batches), and so do the
/// timeline rows and finished deliveries of that age (a message event and a delivery's body
/// carry the message's text), closed conversations are archived 90 days after closing,
/// expired web chat sessions, inbound receipts older than Meta's retry horizon and finished
/// reply jobs older than 30 days are purged.
enum ConversationRetention {
    struct Outcome: Sendable, Equatable {
        var droppedPartitions = 0
        var deletedMessages = 0
        var deletedEvents = 0
        var deletedDeliveries = 0
        var deletedJobs = 0
        var archivedConversations = 0
        var purgedSessions = 0
        var purgedReceipts = 0
    }

    /// Runs every rule once: messages older than their organization's retention
    /// (``retention_settings``, else `defaultRetentionDays`, the seed's year) are deleted;
    /// monthly partitions older than every organization's retention are dropped whole. Row
    /// deletes go `batch` rows per statement; run it on a connection outside a transaction.
    static func run(
        defaultRetentionDays: Int = 365, archiveAfterDays: Int = 90, receiptDays: Int = 30, jobDays: Int = 30,
        batch: Int = BatchedDelete.defaultBatch, on connection: PostgresConnection
    ) async throws -> Outcome {
        var outcome = Outcome()
        let bounds = try await connection.query(
            """
            SELECT LEAST($1::int, COALESCE(min(message_retention_days), $1::int)) AS shortest,
                   GREATEST($1::int, COALESCE(max(message_retention_days), $1::int)) AS longest
            FROM retention_settings
            """, [defaultRetentionDays]
        ).firstRow!
        let shortest = try bounds.decode(Int.self, "shortest"), longest = try bounds.decode(Int.self, "longest")
        let partitionCutoff = Date().addingTimeInterval(-Double(longest) * 86_400)
        outcome.droppedPartitions =
            try await connection.query(
                "SELECT drop_expired_message_partitions($1) AS n", [partitionCutoff]
            ).firstRow.map { try $0.decode(Int.self, "n") } ?? 0
        // Batches keep each DELETE short (BatchedDelete); what one run's budget leaves, the next deletes.
        outcome.deletedMessages = try await BatchedDelete.run(batch: batch) { limit in
            try await connection.execute(
                """
                DELETE FROM messages WHERE (id, created_at) IN (
                    SELECT m.id, m.created_at FROM messages m
                    JOIN conversations c ON c.id = m.conversation_id
                    LEFT JOIN retention_settings r ON r.organization_id = c.organization_id
                    WHERE m.created_at < CURRENT_TIMESTAMP - make_interval(days => $2::int)
                      AND m.created_at < CURRENT_TIMESTAMP
                          - make_interval(days => COALESCE(r.message_retention_days, $1::int))
                    LIMIT $3)
                """, [defaultRetentionDays, shortest, limit])
        }
        // The timeline's rows of the same age: a message event's payload holds the text.
        outcome.deletedEvents = try await BatchedDelete.run(batch: batch) { limit in
            try await connection.execute(
                """
                DELETE FROM conversation_events WHERE seq = ANY(ARRAY(
                    SELECT e.seq FROM conversation_events e
                    LEFT JOIN retention_settings r ON r.organization_id = e.organization_id
                    WHERE e.created_at < CURRENT_TIMESTAMP - make_interval(days => $2::int)
                      AND e.created_at < CURRENT_TIMESTAMP
                          - make_interval(days => COALESCE(r.message_retention_days, $1::int))
                    LIMIT $3))
                """, [defaultRetentionDays, shortest, limit])
        }
        // Finished deliveries of that age: their body holds the message's text.
        outcome.deletedDeliveries = try await BatchedDelete.run(batch: batch) { limit in
            try await connection.execute(
                """
                DELETE FROM outbound_deliveries WHERE id = ANY(ARRAY(
                    SELECT d.id FROM outbound_deliveries d
                    LEFT JOIN retention_settings r ON r.organization_id = d.organization_id
                    WHERE d.status IN ('sent', 'failed', 'unknown')
                      AND d.created_at < CURRENT_TIMESTAMP - make_interval(days => $2::int)
                      AND d.created_at < CURRENT_TIMESTAMP
                          - make_interval(days => COALESCE(r.message_retention_days, $1::int))
                    LIMIT $3))
                """, [defaultRetentionDays, shortest, limit])
        }
        // Finished reply jobs after `jobDays`.
        outcome.deletedJobs = try await BatchedDelete.run(batch: batch) { limit in
            try await connection.execute(
                """
                DELETE FROM reply_jobs WHERE id = ANY(ARRAY(
                    SELECT id FROM reply_jobs
                    WHERE status IN ('done', 'skipped', 'failed')
                      AND created_at < CURRENT_TIMESTAMP - make_interval(days => $1::int)
                    LIMIT $2))
                """, [jobDays, limit])
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
        outcome.purgedReceipts = try await BatchedDelete.run(batch: batch) { limit in
            try await connection.execute(
                """
                DELETE FROM inbound_receipts WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM inbound_receipts
                    WHERE received_at < CURRENT_TIMESTAMP - make_interval(days => $1::int)
                    LIMIT $2))
                """, [receiptDays, limit])
        }
        return outcome
    }
}
