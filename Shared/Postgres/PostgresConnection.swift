import Logging
import Synchronization

/// A connection leased from a ``PostgresClient`` for the duration of a closure.
///
/// Use it only inside the `withConnection`/`withTransaction` closure that handed it out;
/// its statements run one at a time on the connection's own thread.
public final class PostgresConnection: Sendable {
    let libpq: LibPQConnection
    let worker: BlockingWorker
    let logger: Logger
    /// Notifications asked for with ``notifyAfterCommit(schemaChannel:payload:)`` during the
    /// current lease.
    private let pendingNotifications = Mutex<[PendingNotification]>([])
    /// Statements queued by ``executeLater(_:_:)``, not sent yet.
    private let deferred = Mutex<[(sql: String, binds: [PostgresBind])]>([])

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
        let queued = takeDeferred()
        guard !queued.isEmpty else {
            return try await perform(logger: logger ?? self.logger) { try libpq.execute(query.sql, values) }
        }
        let statements = queued + [(sql: query.sql, binds: values)]
        return try await perform(logger: logger ?? self.logger) { try libpq.executePipeline(statements) }.last!
    }

    /// Queues a statement whose answer the caller does not need (a timeline row, a job's end,
    /// a transaction's `BEGIN`): it is sent with this connection's next statement, both in
    /// one round trip (libpq pipeline mode), and an error it raises is thrown by that
    /// statement. What is still queued when the lease's work returns is sent then; when the
    /// work throws first, it is dropped unsent. Not for a statement whose own failure the
    /// caller wants to catch and recover from.
    public func executeLater(_ query: PostgresQuery, _ binds: [any PostgresEncodable] = []) {
        let values = binds.map(\.postgresBind)
        deferred.withLock { $0.append((sql: query.sql, binds: values)) }
    }

    /// Sends the statements ``executeLater(_:_:)`` queued, if any.
    func sendDeferred(logger: Logger? = nil) async throws {
        let queued = takeDeferred()
        guard !queued.isEmpty else { return }
        let libpq = self.libpq
        _ = try await perform(logger: logger ?? self.logger) { try libpq.executePipeline(queued) }
    }

    /// Drops the queued statements unsent; answers how many there were.
    @discardableResult
    func dropDeferred() -> Int { takeDeferred().count }

    private func takeDeferred() -> [(sql: String, binds: [PostgresBind])] {
        deferred.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
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
        try await sendDeferred(logger: logger)
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

    /// Asks for `NOTIFY <current_schema()><suffix>, payload` once the lease's work is
    /// committed: the client sends it after the `withConnection` / `withTransaction` that
    /// handed out this connection ends, outside any transaction, coalesced with the same
    /// notifications of other leases (``PostgresClient`` "Notifications after commit").
    ///
    /// A `pg_notify` inside a transaction holds PostgreSQL's global notification lock from
    /// its COMMIT until the commit's WAL flush is done, so every notifying transaction of the
    /// database commits one after the other, each waiting for its own flush (one slow flush
    /// stalled them all for 150–300 ms in the reply benchmark). Listeners must treat a
    /// notification as "look again": one may also come for work that was rolled back.
    public func notifyAfterCommit(schemaChannel suffix: String, payload: String = "") {
        pendingNotifications.withLock { $0.append(PendingNotification(suffix: suffix, payload: payload)) }
    }

    /// The notifications asked for since the last call.
    func takePendingNotifications() -> [PendingNotification] {
        pendingNotifications.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
    }

    /// Whether the caller runs on this connection's own thread (inside its lease, after the
    /// first statement; diagnostics and tests).
    public var isOnItsThread: Bool { worker.isCurrent }

    /// How many times this connection has waited for the server's answer (a statement, or
    /// statements sent together): diagnostics and tests. Read it inside the lease.
    public var roundTrips: Int { libpq.roundTrips }

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

/// A notification to send after commit: channel `current_schema()` + `suffix`.
struct PendingNotification: Hashable, Sendable {
    var suffix: String
    var payload: String
}
