import Foundation
import Logging

/// A PostgreSQL server in a folder of our own, listening on a Unix socket in that folder
/// only (no TCP): `smarterchatctl up` keeps one in `./.data`, tests make throwaway ones.
///
/// When the process runs as root, `initdb`/`pg_ctl`/`postgres` run as the `postgres` system
/// user (they refuse root) and the folder is handed to it; otherwise as the current user.
/// Authentication on the socket is `trust`: the socket's folder is the access control, so it
/// is for development and tests, never production.
public final class LocalPostgresCluster: Sendable {
    /// Holds `data/`, the socket and `server.log`.
    public let folder: URL
    /// The port that names the socket file (`.s.PGSQL.<port>`).
    public let port: Int
    /// Whether the server keeps its data safely (`fsync` on); off for throwaway test servers.
    public let durable: Bool
    /// The superuser role created by `initdb`.
    public let superuser = "postgres"
    let binaries: URL
    let logger: Logger

    /// The data directory.
    public var dataDirectory: URL { folder.appendingPathComponent("data") }
    /// The folder holding the socket: what `SMARTERCHAT_PG_HOST` names.
    public var socketDirectory: URL { folder }
    /// The server's log.
    public var logFile: URL { folder.appendingPathComponent("server.log") }

    /// A cluster in `folder` (created if missing); throws if PostgreSQL's binaries are not
    /// installed (`pg_config --bindir`, else Debian's `/usr/lib/postgresql/15/bin`).
    public init(folder: URL, port: Int = 5432, durable: Bool, logger: Logger) throws {
        self.folder = folder.standardizedFileURL
        self.port = port
        self.durable = durable
        self.binaries = try Self.findBinaries()
        self.logger = logger
    }

    /// Whether `initdb` has run in the folder.
    public var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    }

    /// Whether the server is running (its postmaster is alive).
    public var isRunning: Bool {
        postmasterPID().map(Self.isAlive) ?? false
    }

    /// Runs `initdb` (once) and writes the socket-only settings, on a thread of its own so the
    /// cooperative pool (two threads on a two-core machine) is never blocked by it.
    public func initialize() async throws {
        try await Self.offPool { try self.initializeNow() }
    }

    private func initializeNow() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if Self.runsAsServerUser {
            guard let account = getpwnam("postgres") else {
                throw LocalPostgresError("running as root needs a 'postgres' system user (Debian's postgresql package)")
            }
            guard chown(folder.path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw LocalPostgresError("could not hand \(folder.path) to the postgres user")
            }
            chmod(folder.path, 0o700)
        }
        try Self.run(
            binaries.appendingPathComponent("initdb").path,
            [
                "-D", dataDirectory.path, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale=C",
                "--no-instructions",
            ]
                + (durable ? [] : ["--no-sync"]),
            asServerUser: Self.runsAsServerUser)
        // autovacuum keeps PostgreSQL's own pace (autovacuum_naptime 60 s), as the deployments
        // do: every pass vacuums and analyses each table that changed enough, and each table it
        // touches invalidates every cached plan that names it (docs/operations.md, "Autovacuum").
        var settings = """

            # LocalPostgresCluster: Unix socket only.
            listen_addresses = ''
            unix_socket_directories = '\(folder.path)'
            port = \(port)
            max_connections = 200
            shared_buffers = \(durable ? "128MB" : "32MB")
            log_min_messages = warning

            """
        if !durable {
            settings += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        }
        let handle = try FileHandle(forWritingTo: dataDirectory.appendingPathComponent("postgresql.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
    }

    /// `pg_ctl start`, waiting until the server accepts connections; retried briefly, since
    /// after a SIGKILL the old backends may hold the shared memory for a moment.
    public func start() async throws {
        var lastError: (any Error)?
        for attempt in 0..<10 {
            do {
                try await pgctl(["start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60"])
                return
            } catch {
                lastError = error
                logger.debug("pg_ctl start failed; retrying", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        let log = (try? String(contentsOf: logFile, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
        throw LocalPostgresError("PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "") \(log)")
    }

    /// `pg_ctl stop`: `fast` disconnects clients and shuts down cleanly, `immediate` aborts.
    public func stop(immediate: Bool = false) async throws {
        guard isRunning else { return }
        try await pgctl(["stop", "-D", dataDirectory.path, "-w", "-m", immediate ? "immediate" : "fast"])
    }

    /// SIGKILLs the postmaster, like a crash, and waits until it and its backends are gone
    /// (they leave on their own once they notice the postmaster died).
    public func kill() async throws {
        guard let pid = postmasterPID() else { return }
        let children = Self.children(of: pid)
        Foundation.kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if !Self.isAlive(pid) && !children.contains(where: Self.isAlive) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Creates `name` unless it exists.
    public func createDatabase(named name: String, logger: Logger) async throws {
        let admin = PostgresClient(configuration: configuration(poolSize: 1), logger: logger)
        do {
            try await admin.withConnection { connection in
                let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
                guard exists.isEmpty else { return }
                let quoted = try await connection.quoteIdentifier(name)
                try await connection.executeScript(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoted)"))
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }

    /// The configuration reaching `database` as `user` (default: the superuser).
    public func configuration(
        database: String = "postgres", user: String? = nil, poolSize: Int = 4
    ) -> PostgresConfiguration {
        PostgresConfiguration(
            endpoint: .unixSocket(directory: socketDirectory.path), port: port, database: database,
            user: user ?? superuser, poolSize: poolSize)
    }

    /// Stops the server at once and deletes the folder, synchronously (used at exit).
    public func destroySync() {
        if isRunning {
            try? Self.run(
                binaries.appendingPathComponent("pg_ctl").path,
                ["stop", "-D", dataDirectory.path, "-w", "-m", "immediate"], asServerUser: Self.runsAsServerUser)
        }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// A local PostgreSQL server could not be created, started or stopped.
public struct LocalPostgresError: Error, CustomStringConvertible {
    /// What went wrong (may quote the server's log; never credentials).
    public var description: String

    init(_ description: String) { self.description = description }
}
