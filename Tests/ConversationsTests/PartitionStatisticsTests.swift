import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// Conversations migration 0015 and analytics migration 0002: the partitioned tables sample
/// for a statistics target of 30 (analytics' event_data for none), and every partition has
/// its parent's targets, those ensure_monthly_partitions creates later included (CREATE
/// TABLE ... LIKE and ATTACH copy none).
@Suite("Partitions keep their parent's statistics targets")
struct PartitionStatisticsTests {
    static let logger = Logger(label: "PartitionStatisticsTests")

    struct PartitionedTable: Sendable, CustomStringConvertible {
        let service: String
        let name: String
        /// Column name to statistics target.
        let targets: [String: Int]
        /// The targets of the expression columns of the table's indexes (the full-text one).
        let expressionTargets: [Int]
        var description: String { "\(service).\(name)" }
    }

    static let tables = [
        PartitionedTable(
            service: "conversations", name: "messages",
            targets: Dictionary(
                uniqueKeysWithValues: [
                    "id", "conversation_id", "sender_type", "sender_id", "content", "content_type", "media_url",
                    "media_metadata", "direction", "status", "ai_generated", "ai_model", "ai_confidence",
                    "ai_processing_time_ms", "prompt_tokens", "completion_tokens", "intent", "entities", "external_id",
                    "external_metadata", "sent_at", "delivered_at", "read_at", "created_at",
                ].map { ($0, 30) }),
            expressionTargets: [30]),
        PartitionedTable(
            service: "analytics", name: "analytics_events",
            targets: [
                "id": 30, "organization_id": 30, "event_type": 30, "event_data": 0, "agent_id": 30, "user_id": 30,
                "conversation_id": 30, "lead_id": 30, "created_at": 30,
            ],
            expressionTargets: []),
    ]

    @Test("the parent, the default partition, this month's and the next 3, and two created later", arguments: tables)
    func everyPartitionHasTheTargets(table: PartitionedTable) async throws {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: table.service, poolSize: 1, logger: Self.logger)
        defer { Task { await database.close() } }
        let created = try await database.query("SELECT ensure_monthly_partitions(5) AS created").firstRow?
            .decode(Int.self, "created")
        #expect(created == 2)  // months 4 and 5
        var relations: [String] = []
        for row in try await database.query(
            """
            SELECT $1::regclass::text AS name
            UNION ALL
            SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = $1::regclass
            """, [table.name])
        {
            relations.append(try row.decode(String.self, "name"))
        }
        #expect(relations.count == 1 + 1 + 6)  // the parent, the default partition, months 0 to 5
        for relation in relations {
            var targets: [String: Int] = [:]
            for row in try await database.query(
                """
                SELECT attname::text AS name, attstattarget::int AS target FROM pg_attribute
                WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
                """, [relation])
            {
                targets[try row.decode(String.self, "name")] = try row.decode(Int.self, "target")
            }
            #expect(targets == table.targets, "\(relation)")
            var expressionTargets: [Int] = []
            for row in try await database.query(
                """
                SELECT a.attstattarget::int AS target FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indexrelid
                WHERE i.indrelid = $1::regclass AND i.indexprs IS NOT NULL
                """, [relation])
            {
                expressionTargets.append(try row.decode(Int.self, "target"))
            }
            #expect(expressionTargets == table.expressionTargets, "\(relation)")
        }
    }
}
