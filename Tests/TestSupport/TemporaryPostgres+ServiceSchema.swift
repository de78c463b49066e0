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
    /// roles for many databases of one server at once. Two `ALTER ROLE`s of one role in two
    /// databases fail one of them with "tuple concurrently updated" (XX000), and the
    /// provisioner's advisory lock is per database, so this process provisions one database
    /// at a time (a provision takes milliseconds). Another process on the same server can
    /// still collide: then it tries again, with a growing pause, for about four seconds.
    public static func provisionRetryingRoleRaces(
        service: String, using admin: PostgresClient, logger: Logger
    ) async throws {
        try await ProvisionQueue.shared.run {
            for attempt in 1... {
                do {
                    try await provision(service: service, using: admin, logger: logger)
                    return
                } catch let error as PostgresError where attempt < 12 && ["XX000", "40P01"].contains(error.sqlState) {
                    try await Task.sleep(for: .milliseconds(50 * attempt + Int.random(in: 0..<50)))
                }
            }
        }
    }
}

/// Runs the process's provisions one after another, in the order they were asked for.
private actor ProvisionQueue {
    static let shared = ProvisionQueue()
    private var last: Task<Void, Never>?

    func run(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let previous = last
        let turn = Task {
            await previous?.value
            try await body()
        }
        last = Task { _ = try? await turn.value }
        try await turn.value
    }
}
