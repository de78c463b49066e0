/// The pool's bookkeeping, kept inside a `Mutex` by ``PostgresClient``.
///
/// Pure state transitions: every method answers what the caller must do next, and the
/// caller does it (connect, close, resume a waiter) outside the lock.
struct ConnectionPoolState {
    /// What a lease request got.
    enum Grant: Sendable {
        /// An idle connection to reuse.
        case connection(PostgresConnection)
        /// A free slot: the caller opens a new connection in it.
        case openNew
    }

    /// What `lease()` must do.
    enum LeaseAction {
        case grant(Grant)
        case wait
        case fail
    }

    /// What `release()` must do.
    enum ReleaseAction {
        case keep
        case close(PostgresConnection)
        case handOver(CheckedContinuation<Grant, any Error>, Grant, close: PostgresConnection?)
    }

    let capacity: Int
    private(set) var idle: [PostgresConnection] = []
    /// Connections open or being opened, idle or leased.
    private(set) var open = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Grant, any Error>)] = []
    private var nextWaiterID = 0
    private(set) var isClosed = false
    /// Whether the last attempt to reach the server succeeded.
    var isReachable = false
    /// Leases that found the pool full and waited, and their time in all.
    private(set) var waits = 0
    private(set) var waited: Duration = .zero
    /// Callers waiting for a connection now.
    var waiting: Int { waiters.count }

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func lease() -> LeaseAction {
        if isClosed { return .fail }
        if let connection = idle.popLast() { return .grant(.connection(connection)) }
        if open < capacity {
            open += 1
            return .grant(.openNew)
        }
        return .wait
    }

    /// Counts a lease that waited `duration` for its connection (or until it gave up).
    mutating func recordWait(_ duration: Duration) {
        waits += 1
        waited += duration
    }

    mutating func makeWaiterID() -> Int {
        nextWaiterID += 1
        return nextWaiterID
    }

    /// Registers a waiter; `false` when the pool closed meanwhile.
    mutating func addWaiter(id: Int, _ continuation: CheckedContinuation<Grant, any Error>) -> Bool {
        if isClosed { return false }
        waiters.append((id, continuation))
        return true
    }

    /// Removes a cancelled waiter and answers its continuation, if it still waited.
    mutating func removeWaiter(id: Int) -> CheckedContinuation<Grant, any Error>? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).continuation
    }

    /// Returns a leased connection; a broken one frees its slot for a waiter to reopen.
    mutating func release(_ connection: PostgresConnection, usable: Bool) -> ReleaseAction {
        if !usable || isClosed {
            if !waiters.isEmpty && !isClosed {
                return .handOver(waiters.removeFirst().continuation, .openNew, close: connection)
            }
            open -= 1
            return .close(connection)
        }
        if !waiters.isEmpty {
            return .handOver(waiters.removeFirst().continuation, .connection(connection), close: nil)
        }
        idle.append(connection)
        return .keep
    }

    /// A slot granted with `.openNew` could not be filled.
    mutating func openFailed() -> CheckedContinuation<Grant, any Error>? {
        if !waiters.isEmpty && !isClosed { return waiters.removeFirst().continuation }
        open -= 1
        return nil
    }

    /// Adds a connection opened by the maintenance loop, if there is room.
    mutating func adopt(_ connection: PostgresConnection) -> Bool {
        guard !isClosed, open < capacity else { return false }
        open += 1
        idle.append(connection)
        return true
    }

    /// Closes the pool: idle connections and waiters are handed back to be failed/closed.
    mutating func close() -> (idle: [PostgresConnection], waiters: [CheckedContinuation<Grant, any Error>]) {
        isClosed = true
        let closing = idle
        open -= idle.count
        idle = []
        let failing = waiters.map(\.continuation)
        waiters = []
        return (closing, failing)
    }
}
