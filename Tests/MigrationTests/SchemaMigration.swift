import Foundation
import Logging
import Postgres

/// How the tests provision a service's role and schema and apply its migrations.
///
/// Stand-in until `Shared/Postgres` has the `Migrator` and role/schema provisioning: it
/// does what they are specified to do (role `smarterchat_<svc>`, schema `<svc>` owned by it,
/// files applied in order as that role with `search_path` set to the schema) without
/// recording versions. Swap the bodies for the real API when it lands.
enum SchemaMigration {
    /// Creates `service`'s login role (if missing) and its schema owned by that role.
    static func provision(_ service: ServiceSchema, admin: PostgresConfiguration) async throws {
        try await MigratedDatabase.with(admin) { client in
            try await client.withConnection { connection in
                let role = try await connection.quoteIdentifier(service.role)
                let schema = try await connection.quoteIdentifier(service.schema)
                // Roles are cluster-wide and several test databases provision them
                // concurrently: a role that already exists (or is being created) is fine.
                try await connection.executeScript(PostgresQuery(unsafeSQL: """
                    DO $$ BEGIN
                        CREATE ROLE \(role) LOGIN;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                    END $$;
                    CREATE SCHEMA IF NOT EXISTS \(schema) AUTHORIZATION \(role);
                    """))
            }
        }
    }

    /// Applies `service`'s migration files in order, connected as its role; answers the
    /// number of the last file.
    static func migrate(_ service: ServiceSchema, as role: PostgresConfiguration) async throws -> Int {
        let files = try service.migrationFiles()
        try await MigratedDatabase.with(role) { client in
            try await client.withConnection { connection in
                let schema = try await connection.quoteIdentifier(service.schema)
                try await connection.executeScript(PostgresQuery(unsafeSQL: "SET search_path TO \(schema)"))
                for file in files {
                    let sql = try String(contentsOf: file, encoding: .utf8)
                    try await connection.executeScript(PostgresQuery(unsafeSQL: sql))
                }
            }
        }
        return files.last.flatMap { Int($0.lastPathComponent.prefix { $0.isNumber }) } ?? 0
    }
}

extension SchemaMigration {
    /// Tables the migration machinery itself keeps in a service's schema (not seed tables).
    static let bookkeepingTables: Set<String> = []
}

extension SchemaMigration {
    /// Whether ``migrate(_:as:)`` records applied versions (and so can run twice).
    static let recordsVersions = false
}
