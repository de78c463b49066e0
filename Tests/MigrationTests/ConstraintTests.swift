import Foundation
import Postgres
import Testing

/// Indexes (§2, §4 with the `portuguese` full-text GIN indexes), primary and unique keys, and
/// foreign keys only where both ends live in one schema, with the seed's ON DELETE actions.
@Suite("The first migrations create the seed's indexes and keys")
struct ConstraintTests {
    /// The six schemas, as a SQL list for catalog filters.
    static let schemas = "('identity', 'agents', 'conversations', 'crm', 'hooks', 'analytics')"

    @Test("every seed index exists with its columns, and no undocumented one")
    func indexesMatchSeed() async throws {
        let database = try await MigratedDatabase.shared()
        let rows = try await database.withAdmin { client in
            // Indexes of the tables themselves (not the copies on partitions), without the
            // ones that back a primary key or unique constraint.
            try await textRows(
                client,
                PostgresQuery(
                    unsafeSQL: """
                        SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(i.oid)
                        FROM pg_index x
                        JOIN pg_class i ON i.oid = x.indexrelid
                        JOIN pg_class t ON t.oid = x.indrelid
                        JOIN pg_namespace n ON n.oid = t.relnamespace
                        WHERE n.nspname IN \(Self.schemas) AND NOT t.relispartition
                          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
                        """))
        }
        let actual = rows.map { row in
            let definition = row[3] ?? ""
            let using = definition.range(of: " USING ").map { String(definition[$0.upperBound...]) } ?? definition
            return CatalogEntry(schema: row[0] ?? "", table: row[1] ?? "", name: row[2] ?? "", definition: using)
        }
        let found = Set(actual.filter { !SchemaMigration.bookkeepingTables.contains($0.table) })
        let missing = SeedConstraints.indexes.filter { !found.contains($0) }
        #expect(missing.isEmpty, "seed indexes missing or different")
        let unexpected = found.subtracting(SeedConstraints.indexes).sorted()
        #expect(unexpected.isEmpty, "indexes neither in the seed nor documented: \(unexpected)")
    }

    @Test("primary keys and the unique keys on organizations.slug and users.email exist")
    func keysMatchSeed() async throws {
        let found = try await constraints(ofType: "('p', 'u')")
        #expect(found.sorted() == SeedConstraints.keys.sorted())
    }

    @Test("foreign keys exist where both ends share a schema, with ON DELETE CASCADE, and nowhere else")
    func foreignKeysStayInsideSchemas() async throws {
        let found = try await constraints(ofType: "('f')")
        #expect(found.sorted() == SeedConstraints.foreignKeys.sorted())

        let database = try await MigratedDatabase.shared()
        let crossing = try await database.withAdmin { client in
            try await textRows(
                client,
                """
                SELECT c.conname FROM pg_constraint c
                JOIN pg_class a ON a.oid = c.conrelid JOIN pg_class b ON b.oid = c.confrelid
                WHERE c.contype = 'f' AND a.relnamespace <> b.relnamespace
                """)
        }
        #expect(crossing.isEmpty, "foreign keys across schemas: \(crossing)")
    }

    @Test("the unique keys refuse a second organization slug and a second user email")
    func uniqueKeysRefuseDuplicates() async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(.identity) { client in
            let slug = "dup-\(UInt64.random(in: 0...UInt64.max))"
            try await client.execute("INSERT INTO identity.organizations (name, slug) VALUES ('A', $1)", [slug])
            let slugError = await postgresError {
                try await client.execute("INSERT INTO identity.organizations (name, slug) VALUES ('B', $1)", [slug])
            }
            #expect(slugError?.sqlState == "23505")
            #expect(slugError?.constraint == "organizations_slug_key")

            let email = "\(slug)@example.com"
            let insertUser: PostgresQuery = """
                INSERT INTO identity.users (organization_id, email, password_hash, full_name)
                SELECT id, $2, 'x', 'U' FROM identity.organizations WHERE slug = $1
                """
            try await client.execute(insertUser, [slug, email])
            let emailError = await postgresError { try await client.execute(insertUser, [slug, email]) }
            #expect(emailError?.sqlState == "23505")
            #expect(emailError?.constraint == "users_email_key")
        }
    }

    @Test("deleting a conversation cascades to its messages in every partition")
    func conversationDeleteCascadesToMessages() async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(.conversations) { client in
            let conversation = try #require(
                try await client.query(
                    PostgresQuery(unsafeSQL: TriggerTests.sampleRows["conversations.conversations"]!),
                    ["cascade \(UInt64.random(in: 0...UInt64.max))"]
                ).firstRow?.decode(UUID.self, "id"))
            // One message this month, one next month, one in the default partition (2100).
            try await client.execute(
                """
                INSERT INTO conversations.messages (conversation_id, sender_type, content, direction, created_at)
                SELECT $1, 'contact', 'oi', 'inbound', t
                FROM unnest(ARRAY[now(), date_trunc('month', now()) + interval '1 month 2 days',
                                  timestamptz '2100-03-04 00:00:00+00']) AS t
                """, [conversation])
            let count: PostgresQuery =
                "SELECT count(*)::int8 AS n FROM conversations.messages WHERE conversation_id = $1"
            #expect(try await client.query(count, [conversation]).firstRow?.decode(Int.self, "n") == 3)
            try await client.execute("DELETE FROM conversations.conversations WHERE id = $1", [conversation])
            #expect(try await client.query(count, [conversation]).firstRow?.decode(Int.self, "n") == 0)
        }
    }

    /// Constraints of the given `contype` list declared on the tables themselves (not the
    /// copies PostgreSQL clones onto partitions).
    private func constraints(ofType types: String) async throws -> [CatalogEntry] {
        let database = try await MigratedDatabase.shared()
        let rows = try await database.withAdmin { client in
            try await textRows(
                client,
                PostgresQuery(
                    unsafeSQL: """
                        SELECT n.nspname, t.relname, c.conname, pg_get_constraintdef(c.oid)
                        FROM pg_constraint c
                        JOIN pg_class t ON t.oid = c.conrelid
                        JOIN pg_namespace n ON n.oid = t.relnamespace
                        WHERE n.nspname IN \(Self.schemas) AND c.contype IN \(types)
                          AND c.conparentid = 0 AND NOT t.relispartition
                        """))
        }
        return rows.map {
            CatalogEntry(schema: $0[0] ?? "", table: $0[1] ?? "", name: $0[2] ?? "", definition: $0[3] ?? "")
        }
        .filter { !SchemaMigration.bookkeepingTables.contains($0.table) }
    }
}
