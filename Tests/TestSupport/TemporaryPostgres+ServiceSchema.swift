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
        // Roles are cluster-wide: another suite provisioning at the same moment can make
        // ALTER ROLE fail with "tuple concurrently updated"; try again.
        for attempt in 1...5 {
            do {
                try await ServiceSchemaProvisioner.provision(service: service, using: admin, logger: logger)
                break
            } catch  where attempt < 5 {
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
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
