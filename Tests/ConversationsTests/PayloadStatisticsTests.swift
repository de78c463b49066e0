import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// Migration 0014: ANALYZE keeps no statistics of the outbox's and the timeline's JSON
/// payloads, and still keeps those of their other columns.
@Suite("Payload columns without planner statistics")
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
}
