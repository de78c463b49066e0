import Logging
import Postgres

// TEMPORARY: stands in for the provisioning API Shared/Postgres is getting; delete then.
enum PostgresProvisioning {
    static func createDatabase(_ name: String, admin: PostgresConfiguration, logger: Logger) async throws {
        let client = PostgresClient(configuration: admin, logger: logger)
        defer { Task { await client.close() } }
        let exists = try await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
        if exists.isEmpty {
            _ = try await client.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
    }

    static func provisionService(_ service: String, admin: PostgresConfiguration, logger: Logger) async throws {
        let client = PostgresClient(configuration: admin, logger: logger)
        defer { Task { await client.close() } }
        let role = "smarterchat_\(service)"
        let exists = try await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])
        if exists.isEmpty {
            _ = try await client.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN"))
        }
        _ = try await client.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(service) AUTHORIZATION \(role)"))
        _ = try await client.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    }
}
