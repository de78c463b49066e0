import Logging
import ServiceLifecycle
import Synchronization

/// A pool of PostgreSQL connections; a swift-service-lifecycle `Service`.
///
/// Connections are opened on demand up to ``PostgresConfiguration/poolSize``; each runs its
/// libpq calls on a thread of its own, never on the cooperative pool or an event loop.
/// Add the client to the service group: ``run()`` keeps trying to reach the server with
/// backoff while it is down (``isReachable`` tells), checks it periodically while it is up,
/// and closes the pool on graceful shutdown. Queries also work before `run()` starts.
///
/// A connection that breaks (server restart) is discarded: the statement running on it
/// fails with ``PostgresError/Code/unavailable`` and the next one opens a fresh connection.
///
/// ```swift
/// let rows = try await client.query("SELECT name FROM crm.leads WHERE id = $1", [leadID])
/// let name = try rows.firstRow?.decode(String.self, "name")
/// ```
public final class PostgresClient: Service, Sendable {
    /// The configuration the client was built with.
    public let configuration: PostgresConfiguration
    let logger: Logger
    let state: Mutex<ConnectionPoolState>
    /// Notifications waiting to be sent after commit, and whether a sender runs.
    let notifier = Mutex<(pending: [PendingNotification], sending: Bool)>(([], false))
    private let connectionCounter = Atomic<Int>(0)

    /// Creates a client; it opens no connection until the first query or ``run()``.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(ConnectionPoolState(capacity: configuration.poolSize))
    }

    /// The pool at this moment, for metrics.
    public struct Statistics: Sendable, Equatable {
        /// The most connections the pool opens.
        public var capacity: Int
        /// Connections open or being opened, idle or leased.
        public var open: Int
        /// Open connections no one leases.
        public var idle: Int
        /// Callers waiting for a connection now.
        public var waiting: Int
        /// Leases that found the pool full and waited, since the client began.
        public var waits: Int
        /// Their time waiting, in all.
        public var waited: Duration

        public init(capacity: Int, open: Int, idle: Int, waiting: Int, waits: Int, waited: Duration) {
            self.capacity = capacity
            self.open = open
            self.idle = idle
            self.waiting = waiting
            self.waits = waits
            self.waited = waited
        }
    }

    /// The pool's figures now.
    public var statistics: Statistics {
        state.withLock {
            Statistics(
                capacity: configuration.poolSize, open: $0.open, idle: $0.idle.count, waiting: $0.waiting,
                waits: $0.waits, waited: $0.waited)
        }
    }

    /// Whether the server answered the last connection attempt or health check.
    public var isReachable: Bool { state.withLock { $0.isReachable } }

    /// Keeps the pool healthy until graceful shutdown or cancellation, then closes it.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.maintain() }
        await close()
    }

    /// Closes idle connections and fails waiting callers; later calls throw `unavailable`.
    /// Leased connections close when their closures return.
    public func close() async {
        let (idle, waiters) = state.withLock { $0.close() }
        for continuation in waiters {
            continuation.resume(
                throwing: PostgresError(code: .unavailable, message: "the database client is shut down"))
        }
        for connection in idle { await Self.discard(connection) }
    }

    /// Leases a connection for `body` and returns it to the pool afterwards.
    ///
    /// `body` runs with the connection's own thread as its task executor preference, so its
    /// statements run there inline, one thread hop into the lease and one out instead of two
    /// per statement (nonisolated code; an actor-isolated body keeps its actor and its
    /// statements hop as before). Child tasks of `body` inherit the preference: they share
    /// that one thread.
    @discardableResult
    public func withConnection<T: Sendable>(
        logger: Logger? = nil, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await lease(logger: logger ?? self.logger)
        let outcome: Result<T, any Error>
        do {
            outcome = .success(
                try await withTaskExecutorPreference(connection.worker) {
                    let value = try await body(connection)
                    try await connection.sendDeferred(logger: logger)
                    return value
                })
        } catch {
            connection.dropDeferred()
            outcome = .failure(error)
        }
        await release(connection)
        // Sent even when the work failed: a notification only means "look again", and
        // statements that ran outside a transaction before the error are committed.
        sendAfterCommit(connection.takePendingNotifications())
        await leaveWorkerThread(of: connection)
        return try outcome.get()
    }

    /// The caller goes on on the global executor, not on the thread of the connection it has
    /// just released (the next lessee's statements would wait for its work there).
    private func leaveWorkerThread(of connection: PostgresConnection) async {
        if connection.worker.isCurrent { await Task.yield() }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; rolls back and rethrows when it throws.
    ///
    /// `BEGIN` goes out with the body's first statement and `COMMIT` with what the body left
    /// queued (``PostgresConnection/executeLater(_:_:)``), each pair in one round trip.
    @discardableResult
    public func withTransaction<T: Sendable>(
        logger: Logger? = nil, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(logger: logger) { connection in
            connection.executeLater("BEGIN")
            let value: T
            do {
                value = try await body(connection)
                // A statement sent with COMMIT may fail and leave the transaction open, aborted.
                try await connection.execute("COMMIT")
            } catch {
                // What is still queued is dropped; ROLLBACK with no transaction open (BEGIN
                // was among it) is only a warning.
                connection.dropDeferred()
                if connection.isUsable { _ = try? await connection.execute("ROLLBACK") }
                throw error
            }
            return value
        }
    }

    /// Runs a statement with `$n` parameters on a pooled connection and returns its rows.
    public func query(
        _ query: PostgresQuery, _ binds: [any PostgresEncodable] = [], logger: Logger? = nil
    ) async throws -> PostgresRows {
        try await withConnection(logger: logger) { try await $0.query(query, binds, logger: logger) }
    }

    /// Runs a statement without rows and answers the number of rows it affected.
    @discardableResult
    public func execute(
        _ query: PostgresQuery, _ binds: [any PostgresEncodable] = [], logger: Logger? = nil
    ) async throws -> Int {
        try await withConnection(logger: logger) { try await $0.execute(query, binds, logger: logger) }
    }

    /// Sends `NOTIFY channel, payload` (through `pg_notify`, so both are parameters).
    public func notify(channel: String, payload: String = "", logger: Logger? = nil) async throws {
        try await execute("SELECT pg_notify($1, $2)", [channel, payload], logger: logger)
    }

    // MARK: - Connections

    /// Opens a connection on a new worker thread.
    func openConnection(logger: Logger) async throws -> PostgresConnection {
        let number = connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let worker = BlockingWorker.start(name: "postgres-\(number)")
        let configuration = self.configuration
        do {
            let libpq = try await worker.run { try LibPQConnection.connect(configuration) }
            state.withLock { $0.isReachable = true }
            return PostgresConnection(libpq: libpq, worker: worker, logger: logger)
        } catch let error as PostgresError {
            worker.stop()
            if error.code == .unavailable { state.withLock { $0.isReachable = false } }
            logger.debug("could not connect to the database", metadata: ["db.error.code": "\(error.code)"])
            throw error
        }
    }

    /// Closes a connection on its own thread and ends that thread.
    static func discard(_ connection: PostgresConnection) async {
        let libpq = connection.libpq
        _ = try? await connection.worker.run { libpq.close() }
        connection.worker.stop()
    }

    // MARK: - Notifications after commit

    /// Queues notifications asked for during a lease that has ended; one sender at a time
    /// sends everything queued in one statement outside any transaction (no transaction id,
    /// so no WAL flush under PostgreSQL's notification lock), so notifications that pile up
    /// while one is being sent go out together, each distinct one once.
    func sendAfterCommit(_ notifications: [PendingNotification]) {
        guard !notifications.isEmpty else { return }
        let start = notifier.withLock { state -> Bool in
            for notification in notifications where !state.pending.contains(notification) {
                state.pending.append(notification)
            }
            guard !state.sending else { return false }
            state.sending = true
            return true
        }
        guard start else { return }
        Task { await self.sendPendingNotifications() }
    }

    private func sendPendingNotifications() async {
        while true {
            let batch = notifier.withLock { state -> [PendingNotification] in
                let batch = state.pending
                state.pending.removeAll()
                if batch.isEmpty { state.sending = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await execute(
                    """
                    SELECT pg_notify(current_schema() || n.suffix, n.payload)
                    FROM unnest($1::text[], $2::text[]) AS n(suffix, payload)
                    """, [batch.map(\.suffix), batch.map(\.payload)])
            } catch {
                // Listeners also poll: a lost notification delays, it loses nothing.
                logger.debug("notifications after commit not sent", metadata: ["error": "\(error)"])
            }
        }
    }
}
