import Postgres
import Testing

/// Each service's first migration creates the seed's tables in its own schema, column for
/// column: names in order, types with their lengths and precisions, NOT NULL and defaults.
@Suite("The first migrations create the seed's tables exactly")
struct TableShapeTests {
    @Test("each schema holds exactly its service's seed tables, owned by its role", arguments: ServiceSchema.all)
    func schemaHoldsItsTables(service: ServiceSchema) async throws {
        let database = try await MigratedDatabase.shared()
        let rows = try await database.withAdmin { client in
            try await textRows(
                client,
                """
                SELECT c.relname, pg_get_userbyid(c.relowner)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                ORDER BY c.relname
                """, [service.schema])
        }
        let tables = rows.compactMap { $0[0] }.filter { !SchemaMigration.bookkeepingTables.contains($0) }
        #expect(tables == SeedTables.tables(of: service).map(\.name).sorted())
        for row in rows {
            #expect(row[1] == service.role, "\(service.schema).\(row[0] ?? "?") is owned by \(row[1] ?? "nobody")")
        }
    }

    @Test("each table has the seed's columns in order, with type, NOT NULL and default", arguments: SeedTables.all)
    func tableHasSeedColumns(table: ExpectedTable) async throws {
        let database = try await MigratedDatabase.shared()
        let rows = try await database.withAdmin { client in
            try await textRows(
                client,
                """
                SELECT column_name,
                       CASE data_type
                           WHEN 'character varying' THEN 'character varying(' || character_maximum_length || ')'
                           WHEN 'numeric' THEN 'numeric(' || numeric_precision || ',' || numeric_scale || ')'
                           ELSE data_type
                       END,
                       is_nullable,
                       column_default
                FROM information_schema.columns
                WHERE table_schema = $1 AND table_name = $2
                ORDER BY ordinal_position
                """, [table.schema, table.name])
        }
        let actual = rows.map { row in
            ExpectedColumn(
                name: row[0] ?? "", type: row[1] ?? "", isNullable: row[2] == "YES", defaultExpression: row[3])
        }
        try #require(!actual.isEmpty, "\(table) does not exist")
        #expect(actual.map(\.name) == table.columns.map(\.name), "\(table): column names or order differ")
        for (expected, found) in zip(table.columns, actual) where expected.name == found.name {
            #expect(found == expected, "\(table).\(expected.name)")
        }
    }

    @Test("the cross-service views of §3 are not created in any schema")
    func noCrossServiceViews() async throws {
        let database = try await MigratedDatabase.shared()
        let views = try await database.withAdmin { client in
            try await textRows(
                client,
                """
                SELECT table_schema || '.' || table_name FROM information_schema.views
                WHERE table_schema IN ('identity', 'agents', 'conversations', 'crm', 'hooks', 'analytics', 'public')
                """)
        }
        #expect(views.isEmpty)
    }
}
