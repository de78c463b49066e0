import Foundation
import Logging
import Postgres
import TestSupport

/// How the tests provision a service's role and schema and apply its migrations: through
/// `Shared/Postgres`'s own `ServiceSchemaProvisioner` and `Migrator`, the code the services
/// run at start, with the SQL files read from the source tree.
enum SchemaMigration {
    static let logger = Logger(label: "MigrationTests")

    /// Creates `service`'s login role (if missing) and its schema owned by that role, with
    /// an administrator's connection.
    static func provision(_ service: ServiceSchema, admin: PostgresConfiguration) async throws {
        try await MigratedDatabase.with(admin) { client in
            try await ServiceSchemaProvisioner.provisionRetryingRoleRaces(
                service: service.name, using: client, logger: logger)
        }
    }

    /// Applies `service`'s first migration (`0001_*`, the seed's tables) connected as `role`
    /// (its own login role) and answers the schema's version afterwards.
    ///
    /// Later migrations (sessions, API keys, ... added by the issue that needs them) are
    /// checked by that service's own tests, so this catalogue stays the seed's.
    static func migrate(_ service: ServiceSchema, as role: PostgresConfiguration) async throws -> Int {
        let migrations = try Migration.load(from: service.migrationsDirectory).filter { $0.version == 1 }
        return try await MigratedDatabase.with(role) { client in
            try await Migrator(client: client, schema: service.schema, logger: logger).migrate(migrations)
        }
    }
}

extension SchemaMigration {
    /// Tables the Migrator itself keeps in a service's schema (not seed tables).
    static let bookkeepingTables: Set<String> = ["schema_migrations"]

    /// Whether ``migrate(_:as:)`` records applied versions (and so can run twice).
    static let recordsVersions = true
}
