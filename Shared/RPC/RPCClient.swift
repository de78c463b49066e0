import Contracts
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The connection pool for one service: discovers its replicas from `<service>.<n>.sock`
/// files in the run directory, balances calls round-robin across healthy ones, reconnects
/// with exponential backoff, and retries idempotent calls on another replica when a
/// connection dies.
///
/// Calls work without ``run()`` (replicas are scanned on demand); `run()` keeps the replica
/// list fresh, pings connections, and closes them on graceful shutdown.
///
/// Each event loop of the group has its own lane (its own connections to every replica): a
/// call made on one of the loops goes out and comes back on that loop, so neither the
/// request nor the response crosses threads in this process. Calls made off the loops use
/// the first lane.
public final class RPCClient: RPCCaller, Service, Sendable {
    private enum Replica {
        case idle
        case connecting
        case ready(RPCClientConnection)
        case backoff(until: ContinuousClock.Instant, failures: Int)
    }

    private struct Pool {
        var replicas: [String: Replica] = [:]
        var generations: [String: [Int]] = [:]
        var order: [String] = []
        var next = 0
        var isShutDown = false
    }

    private enum Pick {
        case ready(RPCClientConnection)
        case connect(String, failures: Int)
        case wait
        case none
        case shutDown
    }

    /// The connections of one event loop.
    private final class Lane: Sendable {
        let eventLoop: any EventLoop
        let pool = Mutex(Pool())

        init(eventLoop: any EventLoop) {
            self.eventLoop = eventLoop
        }
    }

    /// The configuration the client was built with.
    public let configuration: RPCClientConfiguration
    private let lanes: [Lane]
    private let logger: Logger

    /// Creates a client for `configuration.serviceName`; it connects lazily.
    public init(
        configuration: RPCClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.configuration = configuration
        var loops: [any EventLoop] = []
        for loop in eventLoopGroup.makeIterator() { loops.append(loop) }
        if loops.isEmpty { loops = [eventLoopGroup.next()] }
        self.lanes = loops.map(Lane.init(eventLoop:))
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: loops[0])
        var logger = logger
        logger[metadataKey: "rpc.service"] = "\(configuration.serviceName)"
        self.logger = logger
    }

    /// The executor of the first event loop of the client's group.
    ///
    /// Callers off the event loops that make many calls in a row can run under
    /// `withTaskExecutorPreference(client.taskExecutor)` to skip a thread hop per call.
    public let taskExecutor: EventLoopTaskExecutor

    /// The socket paths of the replicas currently known.
    public var knownReplicas: [String] { lanes[0].pool.withLock { $0.order } }

    /// The lane of the calling thread's event loop, else the first lane (callers off the
    /// loops share one connection per replica, as before lanes existed).
    private var currentLane: Lane {
        for lane in lanes where lane.eventLoop.inEventLoop { return lane }
        return lanes[0]
    }

    /// Calls `method` on a healthy replica; see ``RPCCaller/callForBytes(_:_:metadata:timeout:)``.
    public func callForBytes<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, metadata: CallMetadata, timeout: Duration?
    ) async throws -> ByteBuffer {
        var metadata = metadata
        if metadata.caller.isEmpty { metadata.caller = configuration.callerName }
        let deadline = (timeout ?? configuration.defaultTimeout).map { ContinuousClock.now + $0 }
        var excluded: Set<String> = []
        var attempt = 0
        let lane = currentLane
        while true {
            attempt += 1
            let connection = try await connection(on: lane, excluding: excluded, deadline: deadline)
            let remaining = deadline.map { $0 - .now }
            if let remaining, remaining <= .zero {
                throw RPCError(.deadlineExceeded, "deadline exceeded")
            }
            do {
                return try await connection.call(method: method.fullName, metadata: metadata, timeout: remaining) {
                    $0.writeMessage(request)
                }
            } catch let error as RPCError where error.isTransportFailure {
                let retryable = method.isIdempotent || error.isNotProcessed
                guard retryable, attempt < configuration.maximumAttempts else { throw error }
                logger.debug("retrying on another replica", metadata: ["rpc.failed_replica": "\(connection.path)"])
                excluded.insert(connection.path)
                continue
            }
        }
    }

    /// Rescans the replicas, pings connections and, on graceful shutdown, closes them.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var lastPing = ContinuousClock.now
            while true {
                self.rescan()
                if ContinuousClock.now - lastPing >= self.configuration.keepAliveInterval {
                    lastPing = .now
                    for connection in self.readyConnections() { connection.keepAlive() }
                }
                try await Task.sleep(for: self.configuration.discoveryInterval)
            }
        }
        shutdown()
    }

    /// Closes every connection; later calls fail with UNAVAILABLE.
    public func shutdown() {
        for lane in lanes {
            let connections = lane.pool.withLock { pool -> [RPCClientConnection] in
                pool.isShutDown = true
                return pool.replicas.values.compactMap { if case .ready(let c) = $0 { c } else { nil } }
            }
            for connection in connections { connection.close() }
        }
    }

    // MARK: Pool

    /// Reads the run directory: adds new replicas, forgets those whose socket is gone, and
    /// retries at once a replica in backoff whose socket was bound again (a restart).
    public func rescan() {
        let entries = ReplicaDirectory.scan(configuration.runDirectory, service: configuration.serviceName)
        for lane in lanes { lane.pool.withLock { pool in Self.apply(entries, to: &pool) } }
    }

    private static func apply(_ entries: [ReplicaDirectory.Entry], to pool: inout Pool) {
        let present = Set(entries.map(\.path))
        for path in pool.order where !present.contains(path) {
            pool.replicas.removeValue(forKey: path)
            pool.generations.removeValue(forKey: path)
        }
        for entry in entries {
            let restarted = pool.generations[entry.path].map { $0 != entry.generation } ?? false
            pool.generations[entry.path] = entry.generation
            switch pool.replicas[entry.path] {
            case nil:
                pool.replicas[entry.path] = .idle
            case .backoff where restarted:
                pool.replicas[entry.path] = .idle
            default:
                break
            }
        }
        pool.order = entries.map(\.path)
    }

    private func readyConnections() -> [RPCClientConnection] {
        lanes.flatMap { lane in
            lane.pool.withLock { pool in
                pool.replicas.values.compactMap { if case .ready(let c) = $0, c.status.isUsable { c } else { nil } }
            }
        }
    }

    private func connection(
        on lane: Lane, excluding excluded: Set<String>, deadline: ContinuousClock.Instant?
    ) async throws
        -> RPCClientConnection
    {
        var rescanned = false
        while true {
            let pick = lane.pool.withLock { pool -> Pick in
                if pool.isShutDown { return .shutDown }
                return Self.pick(in: &pool, excluding: excluded) ?? Self.pick(in: &pool, excluding: []) ?? .none
            }
            switch pick {
            case .ready(let connection):
                return connection
            case .connect(let path, let failures):
                do {
                    let connection = try await RPCClientConnection.connect(
                        to: path, group: lane.eventLoop, maximumFrameSize: configuration.maximumFrameSize,
                        connectTimeout: configuration.connectTimeout, logger: logger)
                    // shutdown() closes only the connections it can see: one that finished
                    // connecting after it ran would stay open, so it is closed here.
                    let isShutDown = lane.pool.withLock { pool -> Bool in
                        if !pool.isShutDown { pool.replicas[path] = .ready(connection) }
                        return pool.isShutDown
                    }
                    if isShutDown {
                        connection.close()
                        throw RPCError.transport("client is shut down", notProcessed: true)
                    }
                    return connection
                } catch {
                    let delay = backoff(failures: failures + 1)
                    logger.debug(
                        "cannot connect to replica", metadata: ["rpc.replica": "\(path)", "error": "\(error)"])
                    lane.pool.withLock { pool in
                        if pool.replicas[path] != nil {
                            pool.replicas[path] = .backoff(until: .now + delay, failures: failures + 1)
                        }
                    }
                }
            case .wait:
                if let deadline, deadline <= .now { throw RPCError(.deadlineExceeded, "deadline exceeded") }
                do {
                    try await Task.sleep(for: .milliseconds(1))
                } catch {
                    throw RPCError(.cancelled, "call cancelled", cause: error)
                }
            case .shutDown:
                throw RPCError.transport("client is shut down", notProcessed: true)
            case .none:
                if !rescanned {
                    rescanned = true
                    rescan()
                    continue
                }
                throw RPCError.transport("no replica of \(configuration.serviceName) is available", notProcessed: true)
            }
        }
    }

    /// Chooses where a call goes, without allocating (it runs on every call).
    private static func pick(in pool: inout Pool, excluding excluded: Set<String>) -> Pick? {
        let count = pool.order.count
        guard count > 0 else { return nil }
        var anyCandidate = false
        var readyCount = 0
        // A replica never tried gets a connection first, so load spreads to new replicas.
        for path in pool.order where excluded.isEmpty || !excluded.contains(path) {
            anyCandidate = true
            switch pool.replicas[path] {
            case .idle:
                pool.replicas[path] = .connecting
                return .connect(path, failures: 0)
            case .ready(let connection) where !connection.status.isUsable:
                // Closed, or draining after GOAWAY (the server idled it out or is shutting
                // down): open a new connection; calls in flight finish on the old one.
                pool.replicas[path] = .connecting
                return .connect(path, failures: 0)
            case .ready(let connection) where connection.status.isUsable:
                readyCount += 1
            default:
                break
            }
        }
        guard anyCandidate else { return nil }
        if readyCount > 0 {
            pool.next &+= 1
            var skip = pool.next % readyCount
            for path in pool.order where excluded.isEmpty || !excluded.contains(path) {
                guard case .ready(let connection) = pool.replicas[path], connection.status.isUsable else { continue }
                if skip == 0 { return .ready(connection) }
                skip -= 1
            }
        }
        let now = ContinuousClock.now
        var connecting = false
        for path in pool.order where excluded.isEmpty || !excluded.contains(path) {
            switch pool.replicas[path] {
            case .backoff(let until, let failures) where until <= now:
                pool.replicas[path] = .connecting
                return .connect(path, failures: failures)
            case .connecting:
                connecting = true
            default:
                break
            }
        }
        return connecting ? .wait : nil
    }

    private func backoff(failures: Int) -> Duration {
        var delay = configuration.initialBackoff
        for _ in 1..<max(failures, 1) where delay < configuration.maximumBackoff { delay *= 2 }
        return min(delay, configuration.maximumBackoff)
    }
}
