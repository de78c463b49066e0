import Logging

/// A connection leased from a ``PostgresClient`` for the duration of a closure.
///
/// Use it only inside the `withConnection`/`withTransaction` closure that handed it out;
/// its statements run one at a time on the connection's own thread.
public final class PostgresConnection: Sendable {
    let libpq: LibPQConnection
    let worker: BlockingWorker
    let logger: Logger

    init(libpq: LibPQConnection, worker: BlockingWorker, logger: Logger) {
        self.libpq = libpq
        self.worker = worker
        self.logger = logger
    }

    /// Runs a statement with `$n` parameters and returns its rows.
    ///
    /// Throws ``PostgresError``; a cancelled task cancels the statement on the server and
    /// throws `CancellationError`.
    public func query(
        _ query: PostgresQuery, _ binds: [any PostgresEncodable] = [], logger: Logger? = nil
    ) async throws -> PostgresRows {
        let values = binds.map(\.postgresBind)
        let libpq = self.libpq
        return try await perform(logger: logger ?? self.logger) { try libpq.execute(query.sql, values) }
    }

    /// Runs a statement that returns no rows and answers how many rows it affected.
    @discardableResult
    public func execute(
        _ query: PostgresQuery, _ binds: [any PostgresEncodable] = [], logger: Logger? = nil
    ) async throws -> Int {
        try await self.query(query, binds, logger: logger).affectedRows
    }

    /// Runs a script of several statements without parameters (migration files, DDL).
    public func executeScript(_ query: PostgresQuery, logger: Logger? = nil) async throws {
        let libpq = self.libpq
        try await perform(logger: logger ?? self.logger) { try libpq.executeScript(query.sql) }
    }

    /// Quotes an identifier (schema, role, channel name) for DDL that cannot take parameters.
    public func quoteIdentifier(_ name: String) async throws -> String {
        let libpq = self.libpq
        return try await worker.run { try libpq.quoteIdentifier(name) }
    }

    /// Quotes a literal for a utility statement that cannot take parameters (e.g. `ALTER ROLE
    /// … PASSWORD`). Prefer parameters everywhere else.
    public func quoteLiteral(_ value: String) async throws -> String {
        let libpq = self.libpq
        return try await worker.run { try libpq.quoteLiteral(value) }
    }

    /// The SCRAM-SHA-256 verifier of `password` for `user`, so the password itself is never
    /// sent in SQL.
    public func encryptPassword(_ password: String, user: String) async throws -> String {
        let libpq = self.libpq
        return try await worker.run { try libpq.encryptPassword(password, user: user) }
    }

    /// The server process id serving this connection.
    public var backendPID: Int { Int(libpq.backendPID) }

    /// Whether the connection is still usable (it is discarded when not).
    var isUsable: Bool { libpq.isOK }

    private func perform<T: Sendable>(
        logger: Logger, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let libpq = self.libpq
        do {
            return try await withTaskCancellationHandler {
                try await worker.run(body)
            } onCancel: {
                libpq.cancel()
            }
        } catch let error as PostgresError {
            if Task.isCancelled { throw CancellationError() }
            logger.debug(
                "statement failed",
                metadata: [
                    "db.error.code": "\(error.code)", "db.sqlstate": "\(error.sqlState ?? "-")",
                ])
            throw error
        }
    }
}
