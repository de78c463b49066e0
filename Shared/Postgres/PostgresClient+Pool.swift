import Logging
import Synchronization

extension PostgresClient {
    /// Leases a live connection: an idle one that still answers, a new one in a free slot, or
    /// the next one released when the pool is full.
    func lease(logger: Logger) async throws -> PostgresConnection {
        var grant: ConnectionPoolState.Grant
        switch state.withLock({ $0.lease() }) {
        case .fail: throw PostgresError(code: .unavailable, message: "the database client is shut down")
        case .grant(let granted): grant = granted
        case .wait:
            let started = ContinuousClock.now
            defer {
                let waited = ContinuousClock.now - started
                state.withLock { $0.recordWait(waited) }
            }
            grant = try await waitForGrant()
        }
        while true {
            switch grant {
            case .connection(let connection):
                let libpq = connection.libpq
                // A quiet socket (the usual case) is checked from here; one with something to
                // read (an error notice, EOF) is looked at by libpq on the connection's thread.
                if libpq.isQuiet { return connection }
                if (try? await connection.worker.run({ libpq.isAlive() })) == true { return connection }
                // The server closed it while idle (restart): reuse the slot for a new one.
                logger.debug("discarding a dead idle database connection")
                await Self.discard(connection)
                grant = .openNew
            case .openNew:
                do {
                    return try await openConnection(logger: logger)
                } catch {
                    if let next = state.withLock({ $0.openFailed() }) {
                        // The slot passes to a waiter, which will try to open its own.
                        next.resume(returning: .openNew)
                    }
                    throw error
                }
            }
        }
    }

    /// Waits for a connection or a slot; a cancelled task stops waiting.
    private func waitForGrant() async throws -> ConnectionPoolState.Grant {
        let id = state.withLock { $0.makeWaiterID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<ConnectionPoolState.Grant, any Error>) in
                let added = state.withLock { $0.addWaiter(id: id, continuation) }
                if !added {
                    continuation.resume(
                        throwing: PostgresError(code: .unavailable, message: "the database client is shut down"))
                } else if Task.isCancelled, let waiting = state.withLock({ $0.removeWaiter(id: id) }) {
                    waiting.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            state.withLock { $0.removeWaiter(id: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Returns a connection to the pool, or discards it when it broke.
    func release(_ connection: PostgresConnection) async {
        let usable = connection.isUsable
        if !usable { state.withLock { $0.isReachable = false } }
        switch state.withLock({ $0.release(connection, usable: usable) }) {
        case .keep:
            break
        case .close(let broken):
            await Self.discard(broken)
        case .handOver(let continuation, let grant, let broken):
            continuation.resume(returning: grant)
            if let broken { await Self.discard(broken) }
        }
    }

    /// The body of ``run()``: reconnect with backoff while the server is unreachable, check it
    /// every ``PostgresConfiguration/healthCheckInterval`` while it is reachable.
    func maintain() async {
        var delay = configuration.initialReconnectDelay
        while !Task.isCancelled {
            let healthy: Bool
            do {
                try await execute("SELECT 1")
                healthy = true
            } catch {
                healthy = false
            }
            if healthy {
                if delay != configuration.initialReconnectDelay {
                    logger.info("database is reachable again")
                }
                delay = configuration.initialReconnectDelay
                state.withLock { $0.isReachable = true }
                do { try await Task.sleep(for: configuration.healthCheckInterval) } catch { return }
            } else {
                state.withLock { $0.isReachable = false }
                if delay == configuration.initialReconnectDelay {
                    logger.info("database is unreachable; retrying with backoff")
                }
                do { try await Task.sleep(for: delay) } catch { return }
                delay = min(delay * 2, configuration.maximumReconnectDelay)
            }
        }
    }
}
