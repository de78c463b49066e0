import Foundation
import Logging
import Postgres

/// A throwaway PostgreSQL server for tests: a ``LocalPostgresCluster`` in a new temporary
/// folder, listening on a Unix socket in that folder only (no TCP), with `fsync=off`.
///
/// ```swift
/// let server = try await TemporaryPostgres.shared()          // one per test process
/// let configuration = try await server.createDatabase()      // a fresh database per test
/// let client = PostgresClient(configuration: configuration, logger: logger)
/// ```
///
/// When the process runs as root, `initdb`/`pg_ctl`/`postgres` run as the `postgres` system
/// user (they refuse root) and the folder is handed to it; otherwise as the current user.
/// Authentication is `trust`, so any role created in the server can log in without a
/// password. Tests that stop, kill or restart the server should start a private instance
/// with ``start(logger:)`` rather than disturb the shared one.
public final class TemporaryPostgres: Sendable {
    /// The server.
    public let cluster: LocalPostgresCluster
    let logger: Logger

    /// The folder holding the data directory, the socket and the server log.
    public var folder: URL { cluster.folder }
    /// The port that names the socket file (`.s.PGSQL.<port>`); no TCP listener is opened.
    public var port: Int { cluster.port }
    /// The superuser role created by `initdb`.
    public var superuser: String { cluster.superuser }

    private init(cluster: LocalPostgresCluster, logger: Logger) {
        self.cluster = cluster
        self.logger = logger
    }

    /// Creates a cluster in a new temporary folder and starts it; throws if PostgreSQL's
    /// binaries (`pg_config --bindir`) are missing or the server does not become ready.
    public static func start(logger: Logger = Logger(label: "TemporaryPostgres")) async throws -> TemporaryPostgres {
        var template = Array((NSTemporaryDirectory() + "/smarterchat-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TemporaryPostgresError("could not create a temporary folder") }
        let folder = URL(fileURLWithPath: String(cString: made))
        let cluster: LocalPostgresCluster
        do {
            cluster = try LocalPostgresCluster(folder: folder, durable: false, logger: logger)
            try await cluster.initialize()
            try await cluster.start()
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw TemporaryPostgresError("\(error)")
        }
        return TemporaryPostgres(cluster: cluster, logger: logger)
    }

    /// The configuration to reach `database` as `user` (default: the superuser) over the
    /// socket, with short timeouts and reconnect delays for tests.
    public func configuration(
        database: String = "postgres", user: String? = nil, poolSize: Int = 4
    ) -> PostgresConfiguration {
        var configuration = cluster.configuration(database: database, user: user, poolSize: poolSize)
        configuration.connectTimeout = .seconds(2)
        configuration.initialReconnectDelay = .milliseconds(50)
        configuration.maximumReconnectDelay = .milliseconds(500)
        configuration.healthCheckInterval = .milliseconds(500)
        return configuration
    }

    /// Creates a new, empty database (named `test_<random>` unless given) and returns the
    /// superuser's configuration for it.
    public func createDatabase(named name: String? = nil) async throws -> PostgresConfiguration {
        let database =
            name ?? "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await cluster.createDatabase(named: database, logger: logger)
        return configuration(database: database)
    }

    /// Stops the server. `immediate` aborts like a crash (no checkpoint, clients cut off).
    public func stop(immediate: Bool = false) async throws {
        try await cluster.stop(immediate: immediate)
    }

    /// Kills the postmaster with SIGKILL, like a crash, and waits until it and its backends
    /// are gone.
    public func kill() async throws {
        try await cluster.kill()
    }

    /// Starts the server again on the same folder and socket (after ``stop(immediate:)`` or
    /// ``kill()``); waits until it accepts connections.
    public func restart() async throws {
        try await cluster.start()
    }

    /// Stops the server if it runs and removes the folder. Call it at the end of a private
    /// instance's use; the shared instance does it when the process exits.
    public func destroy() async {
        try? await cluster.stop(immediate: true)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Stops the server at once and deletes the folder, synchronously (used at exit).
    func stopAndRemoveSync() {
        cluster.destroySync()
    }
}

/// A failure of the test server's setup, with the command's output for the test log.
public struct TemporaryPostgresError: Error, CustomStringConvertible {
    /// What failed.
    public var description: String
    init(_ description: String) { self.description = description }
}
