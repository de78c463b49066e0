import Foundation
import Logging
import Postgres

/// A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, listening on
/// a Unix socket in that folder only (no TCP), with `fsync=off`.
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
    /// The folder holding the data directory, the socket and the server log.
    public let folder: URL
    /// The port that names the socket file (`.s.PGSQL.<port>`); no TCP listener is opened.
    public let port: Int
    /// The superuser role created by `initdb`.
    public let superuser = "postgres"
    let binaries: URL
    let logger: Logger

    var dataDirectory: URL { folder.appendingPathComponent("data") }
    var logFile: URL { folder.appendingPathComponent("server.log") }

    init(folder: URL, port: Int, binaries: URL, logger: Logger) {
        self.folder = folder
        self.port = port
        self.binaries = binaries
        self.logger = logger
    }

    /// Creates a cluster in a new temporary folder and starts it; throws if PostgreSQL's
    /// binaries (`pg_config --bindir`) are missing or the server does not become ready.
    public static func start(logger: Logger = Logger(label: "TemporaryPostgres")) async throws -> TemporaryPostgres {
        let binaries = try Self.findBinaries()
        var template = Array((NSTemporaryDirectory() + "/smarterchat-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TemporaryPostgresError("could not create a temporary folder") }
        let folder = URL(fileURLWithPath: String(cString: made))
        let server = TemporaryPostgres(folder: folder, port: 5432, binaries: binaries, logger: logger)
        do {
            try server.initialize()
            try await server.startServer()
        } catch {
            server.remove()
            throw error
        }
        return server
    }

    /// The configuration to reach `database` as `user` (default: the superuser) over the
    /// socket.
    public func configuration(database: String = "postgres", user: String? = nil, poolSize: Int = 4) -> PostgresConfiguration {
        PostgresConfiguration(
            endpoint: .unixSocket(directory: folder.path), port: port, database: database,
            user: user ?? superuser, poolSize: poolSize, connectTimeout: .seconds(2),
            initialReconnectDelay: .milliseconds(50), maximumReconnectDelay: .milliseconds(500),
            healthCheckInterval: .milliseconds(500))
    }

    /// Creates a new, empty database (named `test_<random>` unless given) and returns the
    /// superuser's configuration for it.
    public func createDatabase(named name: String? = nil) async throws -> PostgresConfiguration {
        let database = name ?? "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = PostgresClient(configuration: configuration(poolSize: 1), logger: logger)
        do {
            try await admin.withConnection { connection in
                let quoted = try await connection.quoteIdentifier(String(database))
                try await connection.executeScript(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoted)"))
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        return configuration(database: String(database))
    }

    /// Stops the server. `immediate` aborts like a crash (no checkpoint, clients cut off).
    public func stop(immediate: Bool = false) async throws {
        try await run(pgctl: ["stop", "-D", dataDirectory.path, "-w", "-m", immediate ? "immediate" : "fast"])
    }

    /// Kills the postmaster with SIGKILL, like a crash, and waits until it and its backends
    /// are gone (they leave on their own once they notice the postmaster died).
    public func kill() async throws {
        guard let pid = postmasterPID() else { return }
        let children = Self.children(of: pid)
        _ = Foundation.kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if !Self.isRunning(pid) && !children.contains(where: Self.isRunning) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Starts the server again on the same folder and socket (after ``stop(immediate:)`` or
    /// ``kill()``); waits until it accepts connections.
    public func restart() async throws {
        try await startServer()
    }

    /// Stops the server if it runs and removes the folder. Call it at the end of a private
    /// instance's use; the shared instance does it when the process exits.
    public func destroy() async {
        try? await stop(immediate: true)
        remove()
    }
}

/// A failure of the test server's setup, with the command's output for the test log.
public struct TemporaryPostgresError: Error, CustomStringConvertible {
    /// What failed.
    public var description: String
    init(_ description: String) { self.description = description }
}
