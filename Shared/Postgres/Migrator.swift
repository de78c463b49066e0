import Logging

/// Applies a service's numbered migrations to its schema, safely from many replicas.
///
/// Under a session advisory lock keyed by the schema name (so replicas starting together
/// apply each file once), it creates `<schema>.schema_migrations (version, name, applied_at,
/// checksum)` if needed, refuses to go on when an applied file's SHA-256 changed, and
/// applies each pending file in its own transaction with `search_path` set to the schema.
///
/// ```swift
/// let version = try await Migrator(client: client, schema: "crm", logger: logger)
///     .migrate(try Migration.load(from: migrationsURL))
/// ```
public struct Migrator: Sendable {
    /// The client the migrations run through (usually the service's own role).
    public let client: PostgresClient
    /// The schema the migrations belong to.
    public let schema: String
    let logger: Logger

    /// Creates a migrator; `schema` must be lower-case letters, digits and `_`.
    public init(client: PostgresClient, schema: String, logger: Logger) {
        self.client = client
        self.schema = schema
        self.logger = logger
    }

    /// Applies the pending migrations and returns the schema's version afterwards (0 when
    /// none is applied).
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> Int {
        try SQLIdentifier.validate(schema, what: "schema name")
        try Migration.validate(migrations)
        let ordered = migrations.sorted { $0.version < $1.version }
        let lockKey = "smarterchat.migrations." + schema
        return try await client.withConnection(logger: logger) { connection in
            try await connection.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", [lockKey])
            do {
                let version = try await apply(ordered, on: connection)
                try await connection.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lockKey])
                return version
            } catch {
                if connection.isUsable {
                    _ = try? await connection.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lockKey])
                }
                throw error
            }
        }
    }

    /// The highest applied version, or 0 when the schema has no migrations table yet.
    public func currentVersion() async throws -> Int {
        try SQLIdentifier.validate(schema, what: "schema name")
        let exists = try await client.query(
            "SELECT to_regclass($1) IS NOT NULL AS present", ["\"\(schema)\".schema_migrations"])
        guard try exists.firstRow?.decode(Bool.self, "present") == true else { return 0 }
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT coalesce(max(version), 0)::int8 AS v FROM \"\(schema)\".schema_migrations")
        )
        return try rows.firstRow?.decode(Int.self, "v") ?? 0
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> Int {
        let table = "\"\(schema)\".schema_migrations"
        let present = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])
        if present.isEmpty {
            // Only when the schema was not provisioned beforehand (needs CREATE on the database).
            try await connection.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA \"\(schema)\""))
        }
        try await connection.execute(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(table) (
                        version bigint PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now(),
                        checksum text NOT NULL)
                    """))
        var applied: [Int: String] = [:]
        for row in try await connection.query(PostgresQuery(unsafeSQL: "SELECT version, checksum FROM \(table)")) {
            applied[try row.decode(Int.self, "version")] = try row.decode(String.self, "checksum")
        }
        var current = applied.keys.max() ?? 0
        for migration in migrations {
            let checksum = try await self.checksum(of: migration, on: connection)
            if let recorded = applied[migration.version] {
                guard recorded == checksum else {
                    throw PostgresError(
                        code: .migrationFailed,
                        message:
                            "applied migration \(migration.label) of schema \(schema) was changed (checksum differs)")
                }
                continue
            }
            try await run(migration, checksum: checksum, table: table, on: connection)
            current = max(current, migration.version)
        }
        return current
    }

    private func run(
        _ migration: Migration, checksum: String, table: String, on connection: PostgresConnection
    ) async throws {
        try await connection.execute("BEGIN")
        do {
            try await connection.execute(PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \"\(schema)\", public"))
            try await connection.executeScript(PostgresQuery(unsafeSQL: migration.sql))
            try await connection.execute(
                PostgresQuery(unsafeSQL: "INSERT INTO \(table) (version, name, checksum) VALUES ($1, $2, $3)"),
                [migration.version, migration.name, checksum])
            try await connection.execute("COMMIT")
            logger.info(
                "applied migration", metadata: ["db.schema": "\(schema)", "db.migration": "\(migration.label)"])
        } catch {
            if connection.isUsable { _ = try? await connection.execute("ROLLBACK") }
            let cause = error as? PostgresError
            if cause?.code == .unavailable { throw error }
            throw PostgresError(
                code: .migrationFailed,
                message:
                    "migration \(migration.label) of schema \(schema) failed (\(cause?.code.description ?? "error"))",
                sqlState: cause?.sqlState, constraint: cause?.constraint, serverMessage: cause?.serverMessage)
        }
    }

    private func checksum(of migration: Migration, on connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query(
            "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS sum", [migration.sql])
        return try rows.firstRow?.decode(String.self, "sum") ?? ""
    }
}
