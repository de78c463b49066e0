import Foundation
import Logging
import Postgres
import Testing

@Suite("Migrations applied under an advisory lock")
struct MigratorTests {
    static let migrations = [
        Migration(
            version: 1, name: "create_leads",
            sql: """
                CREATE TABLE leads (id uuid PRIMARY KEY, name text NOT NULL);
                CREATE TABLE applied_log (version int NOT NULL);
                INSERT INTO applied_log VALUES (1);
                """),
        Migration(
            version: 2, name: "add_score",
            sql: """
                ALTER TABLE leads ADD COLUMN score int NOT NULL DEFAULT 0;
                INSERT INTO applied_log VALUES (2);
                """),
    ]

    @Test("migrations apply once, are recorded, and a second run is a no-op")
    func appliesOnce() async throws {
        try await withTestClient { client, _ in
            let migrator = Migrator(client: client, schema: "crm", logger: Logger(label: "test"))
            #expect(try await migrator.currentVersion() == 0)
            #expect(try await migrator.migrate(Self.migrations) == 2)
            #expect(try await migrator.migrate(Self.migrations) == 2)
            #expect(try await migrator.currentVersion() == 2)
            let recorded = try await client.query(
                "SELECT version, name, checksum, applied_at FROM crm.schema_migrations ORDER BY version")
            #expect(try recorded.map { try $0.decode(Int.self, "version") } == [1, 2])
            #expect(try recorded.map { try $0.decode(String.self, "name") } == ["create_leads", "add_score"])
            #expect(try recorded.allSatisfy { try $0.decode(String.self, "checksum").count == 64 })
            let log = try await client.query("SELECT count(*)::int8 AS n FROM crm.applied_log")
            #expect(try log.firstRow?.decode(Int.self, "n") == 2)
            // The tables went into the schema, not into public.
            try await client.execute("INSERT INTO crm.leads (id, name) VALUES ($1, $2)", [UUID(), "Ana"])
        }
    }

    @Test("two migrators racing apply each file exactly once")
    func racing() async throws {
        try await withTestClient { client, configuration in
            let other = PostgresClient(configuration: configuration, logger: Logger(label: "other"))
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for migratorClient in [client, other, client, other] {
                    group.addTask {
                        try await Migrator(client: migratorClient, schema: "agents", logger: Logger(label: "race"))
                            .migrate(Self.migrations)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            await other.close()
            #expect(versions == [2, 2, 2, 2])
            let log = try await client.query("SELECT version FROM agents.applied_log ORDER BY version")
            #expect(try log.map { try $0.decode(Int.self, "version") } == [1, 2])
        }
    }

    @Test("a changed applied file is refused with a clear error")
    func changedChecksum() async throws {
        try await withTestClient { client, _ in
            let migrator = Migrator(client: client, schema: "hooks", logger: Logger(label: "test"))
            try await migrator.migrate(Self.migrations)
            var edited = Self.migrations
            edited[0].sql += "\n-- edited after release\n"
            let error = await postgresError { try await migrator.migrate(edited) }
            #expect(error?.code == .migrationFailed)
            #expect(error?.message.contains("0001_create_leads") == true)
            #expect(error?.message.contains("changed") == true)
        }
    }

    @Test("a failing migration rolls back entirely and is not recorded")
    func failingMigration() async throws {
        try await withTestClient { client, _ in
            let migrator = Migrator(client: client, schema: "analytics", logger: Logger(label: "test"))
            let broken =
                Self.migrations + [
                    Migration(
                        version: 3, name: "broken", sql: "CREATE TABLE half (x int); SELECT * FROM missing_table;")
                ]
            let error = await postgresError { try await migrator.migrate(broken) }
            #expect(error?.code == .migrationFailed)
            #expect(error?.sqlState == "42P01")
            #expect(try await migrator.currentVersion() == 2)
            let half = try await client.query("SELECT to_regclass('analytics.half') IS NULL AS gone")
            #expect(try half.firstRow?.decode(Bool.self, "gone") == true)
        }
    }

    @Test("migrations load from NNNN_name.sql files in version order")
    func loadFromDirectory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "SELECT 2;".write(to: folder.appendingPathComponent("0002_second.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: folder.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: folder.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let loaded = try Migration.load(from: folder)
        #expect(loaded.map(\.label) == ["0001_first", "0002_second"])
        #expect(loaded[1].sql == "SELECT 2;")
        try "SELECT 3;".write(to: folder.appendingPathComponent("0002_again.sql"), atomically: true, encoding: .utf8)
        #expect(throws: PostgresError.self) { try Migration.load(from: folder) }
    }
}
