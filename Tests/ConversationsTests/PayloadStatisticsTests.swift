import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// Migration 0014: ANALYZE keeps no statistics of the outbox's and the timeline's JSON
/// payloads, and still keeps those of their other columns. Migration 0015: it samples the
/// queue and log tables for a statistics target of 10, not PostgreSQL's default of 100.
@Suite("Planner statistics of the busy tables")
struct PayloadStatisticsTests {
    static let logger = Logger(label: "PayloadStatisticsTests")

    @Test(
        "after ANALYZE, outbox.payload and conversation_events.payload have no pg_stats row; the columns beside them do"
    )
    func payloadsNotAnalysed() async throws {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "conversations", poolSize: 1, logger: Self.logger)
        defer { Task { await database.close() } }
        try await database.execute(
            """
            INSERT INTO outbox (organization_id, event_type, aggregate_type, aggregate_id, payload)
            SELECT gen_random_uuid(), 'message.received', 'conversation', gen_random_uuid(),
                jsonb_build_object('n', g) FROM generate_series(1, 200) g
            """)
        try await database.execute(
            """
            INSERT INTO conversation_events (organization_id, event_type, actor_type, payload)
            SELECT gen_random_uuid(), 'message.received', 'contact', jsonb_build_object('n', g)
            FROM generate_series(1, 200) g
            """)
        try await database.execute("ANALYZE outbox")
        try await database.execute("ANALYZE conversation_events")
        let rows = try await database.query(
            """
            SELECT tablename || '.' || attname AS name FROM pg_stats
            WHERE schemaname = current_schema() AND tablename IN ('outbox', 'conversation_events')
            """)
        var analysed = Set<String>()
        for row in rows { analysed.insert(try row.decode(String.self, "name")) }
        #expect(!analysed.contains("outbox.payload"))
        #expect(!analysed.contains("conversation_events.payload"))
        #expect(analysed.contains("outbox.event_type"))
        #expect(analysed.contains("outbox.occurred_at"))
        #expect(analysed.contains("conversation_events.organization_id"))
        #expect(analysed.contains("conversation_events.created_at"))
    }

    @Test(
        "ANALYZE of the outbox, receipts, reply jobs and timeline keeps 10-bucket histograms, not the default 100"
    )
    func queueTablesSampledForTargetTen() async throws {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "conversations", poolSize: 1, logger: Self.logger)
        defer { Task { await database.close() } }
        // 2,000 rows with distinct times in each table: at the default target ANALYZE would
        // keep a 101-bound histogram of each time column.
        try await database.execute(
            """
            INSERT INTO outbox (organization_id, event_type, aggregate_type, aggregate_id, occurred_at)
            SELECT gen_random_uuid(), 'message.received', 'conversation', gen_random_uuid(),
                TIMESTAMPTZ '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 2000) g
            """)
        try await database.execute(
            """
            INSERT INTO conversation_events (organization_id, event_type, actor_type, created_at)
            SELECT gen_random_uuid(), 'message.received', 'contact', TIMESTAMPTZ '2026-01-01' + g * interval '1 minute'
            FROM generate_series(1, 2000) g
            """)
        // The reply jobs and receipts belong to a conversation of a channel.
        let conversation = try #require(
            try await database.query(
                """
                WITH ch AS (
                    INSERT INTO channels (organization_id, type, name, config)
                    VALUES (gen_random_uuid(), 'webchat', 'statistics', '{}') RETURNING id, organization_id)
                INSERT INTO conversations (organization_id, channel_id, contact_identifier)
                SELECT organization_id, id, 'statistics' FROM ch RETURNING id, channel_id
                """
            ).firstRow)
        let conversationID = try conversation.decode(UUID.self, "id")
        let channelID = try conversation.decode(UUID.self, "channel_id")
        try await database.execute(
            """
            INSERT INTO reply_jobs (organization_id, conversation_id, trigger_message_id, status, run_after)
            SELECT gen_random_uuid(), $1, gen_random_uuid(), 'done',
                TIMESTAMPTZ '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 2000) g
            """, [conversationID])
        try await database.execute(
            """
            INSERT INTO inbound_receipts (channel_id, external_message_id, organization_id, conversation_id,
                message_id, received_at)
            SELECT $1, 'wamid.' || g, gen_random_uuid(), $2, gen_random_uuid(),
                TIMESTAMPTZ '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 2000) g
            """, [channelID, conversationID])
        let columns = [
            ("outbox", "occurred_at"), ("conversation_events", "created_at"), ("reply_jobs", "run_after"),
            ("inbound_receipts", "received_at"),
        ]
        for (table, _) in columns { try await database.execute(PostgresQuery(unsafeSQL: "ANALYZE \(table)")) }
        for (table, column) in columns {
            let bounds = try await database.query(
                """
                SELECT array_length(histogram_bounds, 1) AS n FROM pg_stats
                WHERE schemaname = current_schema() AND tablename = $1 AND attname = $2
                """, [table, column]
            ).firstRow?.decode(Int.self, "n")
            #expect(bounds == 11, "\(table).\(column)")
        }
    }
}
