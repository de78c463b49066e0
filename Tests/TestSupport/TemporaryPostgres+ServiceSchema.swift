import Foundation
import Logging
import Postgres

extension TemporaryPostgres {
    /// A new database on this server with `service`'s role and schema provisioned and the
    /// service's migrations (from the source tree) applied, as the service itself would; the
    /// answer is a pool logged in as the service's role.
    public func migratedServiceDatabase(service: String, poolSize: Int, logger: Logger) async throws -> PostgresClient {
        let name = try await createDatabase().database
        let admin = PostgresClient(configuration: configuration(database: name, poolSize: 1), logger: logger)
        do {
            try await ServiceSchemaProvisioner.provisionRetryingRoleRaces(
                service: service, using: admin, logger: logger)
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        let database = PostgresClient(
            configuration: configuration(database: name, user: "smarterchat_\(service)", poolSize: poolSize),
            logger: logger)
        _ = try await Migrator(client: database, schema: service, logger: logger)
            .migrate(Migration.load(from: Self.migrations(of: service)))
        return database
    }

    /// `Services/smarterchat-<service>/Migrations` in the source tree.
    public static func migrations(of service: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Services/smarterchat-\(service)/Migrations")
    }
}

extension ServiceSchemaProvisioner {
    /// ``provision(service:using:logger:)`` for tests, which provision the same cluster-wide
    /// roles for many databases at once: when another suite's `ALTER ROLE` or `GRANT` on the
    /// same role makes this one fail with "tuple concurrently updated" (XX000) or a deadlock,
    /// it tries again, up to five times.
    public static func provisionRetryingRoleRaces(
        service: String, using admin: PostgresClient, logger: Logger
    ) async throws {
        for attempt in 1...5 {
            do {
                try await provision(service: service, using: admin, logger: logger)
                return
            } catch let error as PostgresError where attempt < 5 && ["XX000", "40P01"].contains(error.sqlState) {
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }
}
