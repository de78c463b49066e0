import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serves one ``RPCRouter`` on `<runDir>/<service>.<n>.sock`.
///
/// A swift-service-lifecycle `Service`: `run()` binds (run directory 0750, socket 0660),
/// accepts peers whose `SO_PEERCRED` uid or gid is allowed, and serves until graceful
/// shutdown; then it stops accepting, sends GOAWAY on every connection, lets in-flight calls
/// finish (up to ``RPCServerConfiguration/drainTimeout``), closes and removes the socket file.
/// Cancelling `run()` closes everything at once.
public final class RPCServer: Service, Sendable {
    private enum State {
        case idle
        case listening(any Channel)
        case stopping
    }

    /// The configuration the server was built with.
    public let configuration: RPCServerConfiguration
    /// Live counters: open connections, running handlers, refusals, bad input.
    public let counters = RPCServerCounters()
    private let router: RPCRouter
    private let logger: Logger
    private let state = Mutex<State>(.idle)
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let sharedEventLoopGroup: (any EventLoopGroup)?

    /// Creates a server for `router`; nothing happens until ``run()``.
    ///
    /// - Parameter eventLoopGroup: the event loops to serve on, owned by the caller (for
    ///   example `MultiThreadedEventLoopGroup.singleton` when it runs Swift concurrency too, so
    ///   a handler stays on its connection's thread); nil starts
    ///   ``RPCServerConfiguration/eventLoopThreads`` threads of the server's own.
    public init(
        configuration: RPCServerConfiguration, router: RPCRouter, eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger
    ) {
        self.configuration = configuration
        self.router = router
        self.sharedEventLoopGroup = eventLoopGroup
        var logger = logger
        logger[metadataKey: "rpc.socket"] = "\(configuration.socketPath)"
        self.logger = logger
    }

    /// Whether the socket is bound and accepting.
    public var isListening: Bool {
        state.withLock { if case .listening = $0 { true } else { false } }
    }

    /// Binds and serves until graceful shutdown or cancellation.
    public func run() async throws {
        try prepareRunDirectory()
        let ownGroup =
            sharedEventLoopGroup == nil
            ? MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads) : nil
        let group: any EventLoopGroup = sharedEventLoopGroup ?? ownGroup!
        do {
            let channel = try await bind(group: group)
            let proceed = state.withLock { state -> Bool in
                guard case .idle = state else { return false }
                state = .listening(channel)
                return true
            }
            if !proceed { try? await channel.close() }
            logger.info("listening")
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    try? await channel.closeFuture.get()
                } onGracefulShutdown: {
                    self.beginShutdown(graceful: true)
                }
            } onCancel: {
                self.beginShutdown(graceful: false)
            }
            await waitForConnectionsToClose(group: group)
            unlink(configuration.socketPath)
            logger.info("stopped")
        } catch {
            try? await ownGroup?.shutdownGracefully()
            throw error
        }
        try await ownGroup?.shutdownGracefully()
    }

    private func bind(group: any EventLoopGroup) async throws -> any Channel {
        let configuration = self.configuration
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { channel in self.accept(channel) }
            .bind(unixDomainSocketPath: configuration.socketPath, cleanupExistingSocketFile: true)
            .get()
        guard chmod(configuration.socketPath, 0o660) == 0 else {
            try? await channel.close()
            throw RPCError(.internalError, "cannot set the socket's mode", cause: SystemError(errno: errno))
        }
        return channel
    }

    private func accept(_ channel: any Channel) -> EventLoopFuture<Void> {
        PeerCredentials.of(channel).flatMapThrowing { peer in
            guard peer.isAllowed(by: self.configuration) else {
                self.counters.connectionRefused()
                self.logger.notice("refused connection from \(peer): not an allowed uid or gid")
                channel.close(promise: nil)
                return
            }
            let id = ObjectIdentifier(channel)
            let registered = self.connections.withLock { connections -> Bool in
                guard !self.isStopping else { return false }
                connections[id] = channel
                return true
            }
            guard registered else {
                channel.close(promise: nil)
                return
            }
            self.counters.connectionOpened()
            channel.closeFuture.whenComplete { _ in
                self.counters.connectionClosed()
                _ = self.connections.withLock { $0.removeValue(forKey: id) }
            }
            var logger = self.logger
            logger[metadataKey: "rpc.peer_pid"] = "\(peer.pid)"
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(RPCFrameDecoder(maximumFrameSize: self.configuration.maximumFrameSize)))
            try channel.pipeline.syncOperations.addHandler(
                RPCServerConnectionHandler(
                    router: self.router, counters: self.counters, idleTimeout: self.configuration.idleTimeout,
                    logger: logger))
        }
    }

    private var isStopping: Bool {
        state.withLock { if case .stopping = $0 { true } else { false } }
    }

    private func beginShutdown(graceful: Bool) {
        let listener = state.withLock { state -> (any Channel)? in
            defer { state = .stopping }
            if case .listening(let channel) = state { return channel }
            return nil
        }
        listener?.close(promise: nil)
        let open = connections.withLock { Array($0.values) }
        for channel in open {
            if graceful {
                channel.pipeline.fireUserInboundEventTriggered(RPCDrainEvent())
            } else {
                channel.close(promise: nil)
            }
        }
    }

    private func waitForConnectionsToClose(group: any EventLoopGroup) async {
        let open = connections.withLock { Array($0.values) }
        guard !open.isEmpty else { return }
        logger.info("draining connections", metadata: ["rpc.connections": "\(open.count)"])
        let eventLoop = group.next()
        let timeout = eventLoop.scheduleTask(in: TimeAmount(configuration.drainTimeout)) {
            for channel in open { channel.close(promise: nil) }
        }
        let closed = open.map(\.closeFuture)
        try? await EventLoopFuture.andAllComplete(closed, on: eventLoop).get()
        timeout.cancel()
    }

    private func prepareRunDirectory() throws {
        let path = configuration.runDirectory
        var status = stat()
        if stat(path, &status) != 0 {
            guard mkdir(path, 0o750) == 0 || errno == EEXIST else {
                throw RPCError(.internalError, "cannot create the run directory", cause: SystemError(errno: errno))
            }
            chmod(path, 0o750)
        }
    }
}

/// A failed system call's `errno`.
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value.
    public var errno: Int32

    /// Wraps an `errno` value.
    public init(errno: Int32) {
        self.errno = errno
    }

    /// The C library's text for the error.
    public var description: String { String(cString: strerror(errno)) }
}
