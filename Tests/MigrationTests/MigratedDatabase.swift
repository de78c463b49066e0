import Foundation
import Logging
import Postgres
import TestSupport

/// A database of the shared test server in which the six services' roles and schemas are
/// provisioned and each service's migrations have been applied as that service's own role.
///
/// ``shared()`` is built once per test process and serves every test that only reads the
/// catalogs or inserts rows of its own; a test that must see a database nobody else touched
/// (migrating twice, say) asks for its own with ``make()``.
struct MigratedDatabase: Sendable {
    /// The shared PostgreSQL server.
    let server: TemporaryPostgres
    /// The database's name.
    let database: String
    /// The version each service's migration run reported, by service name.
    let versions: [String: Int]

    /// The superuser's configuration for this database (catalog queries).
    var adminConfiguration: PostgresConfiguration { server.configuration(database: database, poolSize: 2) }

    /// `service`'s own login role on this database.
    func configuration(for service: ServiceSchema) -> PostgresConfiguration {
        server.configuration(database: database, user: service.role, poolSize: 2)
    }

    /// The process-wide migrated database, created on first use.
    static func shared() async throws -> MigratedDatabase {
        try await SharedMigratedDatabase.instance.database()
    }

    /// A new database with every service provisioned and migrated once.
    ///
    /// Builds run one at a time: roles are cluster-wide and the provisioner's advisory lock
    /// is per database, so two databases provisioned at once can both `ALTER ROLE` the same
    /// role ("tuple concurrently updated").
    static func make() async throws -> MigratedDatabase {
        try await SharedMigratedDatabase.instance.buildSerially()
    }

    /// Creates and migrates a database; callers go through ``make()``.
    fileprivate static func build() async throws -> MigratedDatabase {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.createDatabase().database
        var versions: [String: Int] = [:]
        for service in ServiceSchema.all {
            try await SchemaMigration.provision(service, admin: server.configuration(database: database, poolSize: 1))
            versions[service.name] = try await SchemaMigration.migrate(
                service, as: server.configuration(database: database, user: service.role, poolSize: 1))
        }
        return MigratedDatabase(server: server, database: database, versions: versions)
    }

    /// Runs `body` with a superuser client on this database and closes it afterwards.
    func withAdmin<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        try await Self.with(adminConfiguration, body)
    }

    /// Runs `body` with a client logged in as `service`'s role and closes it afterwards.
    func withRole<T: Sendable>(_ service: ServiceSchema, _ body: (PostgresClient) async throws -> T) async throws -> T {
        try await Self.with(configuration(for: service), body)
    }

    static func with<T: Sendable>(
        _ configuration: PostgresConfiguration, _ body: (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: configuration, logger: Logger(label: "MigrationTests"))
        do {
            let value = try await body(client)
            await client.close()
            return value
        } catch {
            await client.close()
            throw error
        }
    }
}

/// Builds the shared migrated database once, even when many tests ask at the same time.
actor SharedMigratedDatabase {
    static let instance = SharedMigratedDatabase()
    private var building: Task<MigratedDatabase, any Error>?

    private var lastBuild: Task<MigratedDatabase, any Error>?

    func database() async throws -> MigratedDatabase {
        if let building { return try await building.value }
        let task = Task { try await MigratedDatabase.make() }
        building = task
        return try await task.value
    }

    /// Starts a build after the previous one has finished, whatever its outcome.
    func buildSerially() async throws -> MigratedDatabase {
        let previous = lastBuild
        let task = Task {
            _ = await previous?.result
            return try await MigratedDatabase.build()
        }
        lastBuild = task
        return try await task.value
    }
}

/// The rows of a catalog query as text cells (`nil` for NULL), for comparisons in tests.
func textRows(
    _ client: PostgresClient, _ query: PostgresQuery, _ binds: [any PostgresEncodable] = []
) async throws -> [[String?]] {
    let rows = try await client.query(query, binds)
    return try rows.map { row in try (0..<row.count).map { try row.text(at: $0) } }
}

/// The error a throwing call raised, as a `PostgresError`, or `nil` when it did not throw one.
func postgresError(_ body: () async throws -> Void) async -> PostgresError? {
    do {
        try await body()
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        return nil
    }
}
