import Foundation
import Postgres
import Testing

/// messages and analytics_events are partitioned by range on created_at (§6), with a default
/// partition and monthly partitions from the current month (UTC) through at least 3 ahead.
@Suite("messages and analytics_events are partitioned by month")
struct PartitionTests {
    /// A partitioned table, the service that owns it and an insert of one row at `$1`
    /// (a timestamptz) returning its id.
    struct PartitionedTable: Sendable, CustomStringConvertible {
        let service: ServiceSchema
        let name: String
        let insertAt: String
        var qualifiedName: String { "\(service.schema).\(name)" }
        var description: String { qualifiedName }
    }

    static let tables = [
        PartitionedTable(
            service: .conversations, name: "messages",
            insertAt: """
                WITH c AS (
                    INSERT INTO conversations.channels (organization_id, type, name, config)
                    VALUES (gen_random_uuid(), 'webchat', 'partition test', '{}') RETURNING id, organization_id),
                v AS (
                    INSERT INTO conversations.conversations (organization_id, channel_id, contact_identifier)
                    SELECT organization_id, id, 'partition test' FROM c RETURNING id)
                INSERT INTO conversations.messages (conversation_id, sender_type, content, direction, created_at)
                SELECT id, 'contact', 'oi', 'inbound', $1::timestamptz FROM v RETURNING id
                """),
        PartitionedTable(
            service: .analytics, name: "analytics_events",
            insertAt: """
                INSERT INTO analytics.analytics_events (organization_id, event_type, event_data, created_at)
                VALUES (gen_random_uuid(), 'message.received', '{}', $1::timestamptz) RETURNING id
                """),
    ]

    /// The first instant (UTC) of the month `offset` months from now.
    static func monthStart(_ offset: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let thisMonth = calendar.date(from: calendar.dateComponents([.year, .month], from: Date()))!
        return calendar.date(byAdding: .month, value: offset, to: thisMonth)!
    }

    /// `2026_05` for a month start.
    static func suffix(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy_MM"
        return formatter.string(from: date)
    }

    /// `2026-05-01 00:00:00+00`, as PostgreSQL prints a timestamptz in UTC.
    static func bound(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date) + "+00"
    }

    @Test("the table is partitioned by RANGE (created_at)", arguments: tables)
    func partitionedByRange(table: PartitionedTable) async throws {
        let database = try await MigratedDatabase.shared()
        let key = try await database.withAdmin { client in
            try await client.query("SELECT pg_get_partkeydef($1::regclass) AS key", [table.qualifiedName])
                .firstRow?.decode(String.self, "key")
        }
        #expect(key == "RANGE (created_at)")
    }

    @Test("a default partition and monthly ones for this month and the next 3 exist", arguments: tables)
    func monthlyPartitionsAhead(table: PartitionedTable) async throws {
        let database = try await MigratedDatabase.shared()
        let rows = try await database.withAdmin { client in
            try await textRows(
                client,
                """
                SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = $1::regclass
                """, [table.qualifiedName])
        }
        let partitions = Dictionary(rows.map { ($0[0] ?? "", $0[1] ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(partitions["\(table.name)_default"] == "DEFAULT")
        for offset in 0...3 {
            let start = Self.monthStart(offset)
            let name = "\(table.name)_\(Self.suffix(start))"
            #expect(
                partitions[name]
                    == "FOR VALUES FROM ('\(Self.bound(start))') TO ('\(Self.bound(Self.monthStart(offset + 1)))')",
                "\(name)")
        }
    }

    @Test("a row dated next month lands in next month's partition, one in 2100 in the default", arguments: tables)
    func rowsLandInTheirPartition(table: PartitionedTable) async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(table.service) { client in
            let nextMonth = Self.monthStart(1).addingTimeInterval(15 * 86_400)
            for (date, partition) in [
                (nextMonth, "\(table.name)_\(Self.suffix(Self.monthStart(1)))"),
                (Date(timeIntervalSince1970: 4_102_444_800 + 86_400), "\(table.name)_default"),  // 2100-01-02
            ] {
                let id = try #require(
                    try await client.query(PostgresQuery(unsafeSQL: table.insertAt), [Self.bound(date)]).firstRow?
                        .decode(UUID.self, "id"))
                let landed = try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT c.relname FROM \(table.qualifiedName) t JOIN pg_class c ON c.oid = t.tableoid WHERE t.id = $1
                            """), [id]
                ).firstRow?.decode(String.self, "relname")
                #expect(landed == partition)
            }
        }
    }

    @Test("ensure_monthly_partitions creates nothing twice and moves default rows into a new month", arguments: tables)
    func ensureMonthlyPartitions(table: PartitionedTable) async throws {
        // A database of its own: creating partitions locks the whole table, which would make
        // the other tests' rows for partition-less months wait, or deadlock, on the shared one.
        let database = try await MigratedDatabase.make()
        try await database.withRole(table.service) { client in
            let ensure = PostgresQuery(
                unsafeSQL: "SELECT \(table.service.schema).ensure_monthly_partitions($1::int) AS created")
            #expect(try await client.query(ensure, [3]).firstRow?.decode(Int.self, "created") == 0)

            // A row eight months ahead has no partition yet: it waits in the default one
            // and moves when its month is created.
            let later = Self.monthStart(8)
            let id = try #require(
                try await client.query(
                    PostgresQuery(unsafeSQL: table.insertAt), [Self.bound(later.addingTimeInterval(3600))]
                )
                .firstRow?.decode(UUID.self, "id"))
            let locate = PostgresQuery(
                unsafeSQL: """
                    SELECT c.relname FROM \(table.qualifiedName) t JOIN pg_class c ON c.oid = t.tableoid WHERE t.id = $1
                    """)
            #expect(
                try await client.query(locate, [id]).firstRow?.decode(String.self, "relname") == "\(table.name)_default"
            )
            let created = try #require(try await client.query(ensure, [8]).firstRow?.decode(Int.self, "created"))
            #expect(created == 5)  // months 4 to 8
            #expect(
                try await client.query(locate, [id]).firstRow?.decode(String.self, "relname")
                    == "\(table.name)_\(Self.suffix(later))")
            #expect(try await client.query(ensure, [8]).firstRow?.decode(Int.self, "created") == 0)

            if table.name == "messages" {
                // The move from the default partition is not a new message: the §5.2 stats
                // trigger must not count it a second time.
                let count = try await client.query(
                    """
                    SELECT c.message_count FROM conversations.conversations c
                    JOIN conversations.messages m ON m.conversation_id = c.id WHERE m.id = $1
                    """, [id]
                ).firstRow?.decode(Int.self, "message_count")
                #expect(count == 1)
            }
        }
    }

    @Test(
        "partition upkeep running while this month's rows arrive neither deadlocks nor loses a row",
        arguments: tables)
    func upkeepUnderConcurrentInserts(table: PartitionedTable) async throws {
        let database = try await MigratedDatabase.make()
        try await database.withRole(table.service) { client in
            let ensure = PostgresQuery(
                unsafeSQL: "SELECT \(table.service.schema).ensure_monthly_partitions($1::int) AS created")
            let ids = try await withThrowingTaskGroup(of: [UUID].self) { group in
                // Writers keep inserting this month's rows, as ingest does, while upkeep creates
                // the months ahead one by one (each creation locks the parent and the default
                // partition and clones the foreign keys).
                for writer in 0..<4 {
                    group.addTask {
                        var ids: [UUID] = []
                        for row in 0..<25 {
                            let month = Date().addingTimeInterval(-Double(writer * 25 + row))
                            let id = try await client.query(
                                PostgresQuery(unsafeSQL: table.insertAt), [Self.bound(month)]
                            )
                            .firstRow?.decode(UUID.self, "id")
                            ids.append(try #require(id))
                        }
                        return ids
                    }
                }
                group.addTask {
                    for monthsAhead in 4...12 {
                        _ = try await client.query(ensure, [monthsAhead])
                    }
                    return []
                }
                return try await group.reduce(into: [UUID]()) { $0 += $1 }
            }
            #expect(ids.count == 100)
            let count = try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT count(*)::int AS n FROM \(table.qualifiedName) WHERE id = ANY($1::uuid[])"),
                [ids]
            ).firstRow?.decode(Int.self, "n")
            #expect(count == 100)
            let stranded = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*)::int AS n FROM \(table.service.schema).\(table.name)_default
                        WHERE created_at < $1::timestamptz
                        """), [Self.bound(Self.monthStart(13))]
            ).firstRow?.decode(Int.self, "n")
            #expect(stranded == 0, "rows left in the default partition for months that now have one")
        }
    }
}
