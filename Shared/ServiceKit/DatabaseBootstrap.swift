import Foundation
import Logging
import Postgres
import ServiceLifecycle

/// Brings a service's schema up to date, then keeps checking that the database answers.
///
/// If PostgreSQL is down at start, it retries with backoff (100 ms doubling to 5 s) and the
/// service reports NOT_SERVING meanwhile; it never exits for that, so a supervisor does not
/// crash-loop the process. Migrations run under the schema's advisory lock, so replicas
/// starting together apply each file once.
final class DatabaseBootstrap: Service, Sendable {
    private let schema: String
    private let migrations: URL
    private let database: PostgresClient
    private let state: ServiceState
    private let logger: Logger
    private let checkInterval: Duration

    init(
        schema: String, migrations: URL, database: PostgresClient, state: ServiceState, logger: Logger,
        checkInterval: Duration = .seconds(1)
    ) {
        self.schema = schema
        self.migrations = migrations
        self.database = database
        self.state = state
        self.logger = logger
        self.checkInterval = checkInterval
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await self.migrateWithRetry()
            try await self.watch()
        }
    }

    private func migrateWithRetry() async throws {
        let migrator = Migrator(client: database, schema: schema, logger: logger)
        let files = try Migration.load(from: migrations)
        var delay: Duration = .milliseconds(100)
        var failures = 0
        while true {
            do {
                let version = try await migrator.migrate(files)
                state.markMigrated(version: Int64(version))
                logger.info("schema ready", metadata: ["db.schema": "\(schema)", "db.migration": "\(version)"])
                return
            } catch let error as PostgresError where error.code == .unavailable {
                failures += 1
                state.markDatabase(reachable: false)
                // One line at the first failure and then every 10th, not one per retry.
                if failures == 1 || failures % 10 == 0 {
                    logger.warning("database unreachable; retrying", metadata: ["attempts": "\(failures)"])
                }
            } catch {
                state.markDatabase(reachable: true, detail: "migration failed")
                logger.error("migration failed; retrying", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    private func watch() async throws {
        while true {
            try await Task.sleep(for: checkInterval)
            let reachable = database.isReachable
            state.markDatabase(reachable: reachable)
        }
    }
}
