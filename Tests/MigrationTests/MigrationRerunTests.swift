import Postgres
import Testing

/// Applying a service's migrations again changes nothing: the Migrator records the versions
/// it applied in the schema and skips them next time.
@Suite("Applying the migrations twice is a no-op")
struct MigrationRerunTests {
    /// Everything the migrations create in a schema, as text: relations, columns, indexes,
    /// constraints, triggers and functions.
    static let catalogSnapshot: PostgresQuery = """
        SELECT 'relation ' || c.relname || ' ' || c.relkind::text FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
        UNION ALL
        SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
                || is_nullable || ' ' || coalesce(column_default, '-')
            FROM information_schema.columns WHERE table_schema = $1
        UNION ALL
        SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = $1
        UNION ALL
        SELECT 'constraint ' || c.conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c
            JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(g.oid) FROM pg_trigger g
            JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND NOT g.tgisinternal
        UNION ALL
        SELECT 'function ' || p.proname || ' ' || md5(p.prosrc) FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1
        ORDER BY 1
        """

    @Test(
        "a second run reports the same version and leaves the schema as it was",
        .disabled(if: !SchemaMigration.recordsVersions, "needs the Migrator, which records applied versions"),
        arguments: ServiceSchema.all)
    func secondRunChangesNothing(service: ServiceSchema) async throws {
        // A database of its own: the shared one gains partitions and rows from other tests.
        let database = try await MigratedDatabase.make()
        let before = try await database.withAdmin { try await textRows($0, Self.catalogSnapshot, [service.schema]) }
        let first = try #require(database.versions[service.name])
        #expect(first == 1)

        let recorded = PostgresQuery(
            unsafeSQL: """
                SELECT version, name, checksum, applied_at FROM \(service.schema).schema_migrations ORDER BY version
                """)
        let recordedBefore = try await database.withAdmin { try await textRows($0, recorded) }
        #expect(recordedBefore.map { $0[0] } == ["1"])
        #expect(recordedBefore.map { $0[1] } == ["init"])

        let second = try await SchemaMigration.migrate(service, as: database.configuration(for: service))
        #expect(second == first)
        let after = try await database.withAdmin { try await textRows($0, Self.catalogSnapshot, [service.schema]) }
        #expect(after == before)
        let recordedAfter = try await database.withAdmin { try await textRows($0, recorded) }
        #expect(recordedAfter == recordedBefore)
    }
}
