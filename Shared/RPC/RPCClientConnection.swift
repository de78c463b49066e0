import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One connection from a client pool to one replica's socket.
final class RPCClientConnection: Sendable {
    /// Whether the pool may send new calls on the connection; shared with the handler.
    final class Status: Sendable {
        private static let ready: UInt8 = 0
        private static let draining: UInt8 = 1
        private static let closed: UInt8 = 2
        private let value = Atomic<UInt8>(0)

        var isUsable: Bool { value.load(ordering: .relaxed) == Self.ready }
        var isClosed: Bool { value.load(ordering: .relaxed) == Self.closed }
        func markDraining() {
            _ = value.compareExchange(expected: Self.ready, desired: Self.draining, ordering: .relaxed)
        }
        func markClosed() { value.store(Self.closed, ordering: .relaxed) }
    }

    let path: String
    let channel: any Channel
    let status: Status
    private let handler: NIOLoopBound<RPCClientConnectionHandler>
    private let nextCallID = Atomic<UInt32>(1)

    private init(path: String, channel: any Channel, status: Status, handler: NIOLoopBound<RPCClientConnectionHandler>)
    {
        self.path = path
        self.channel = channel
        self.status = status
        self.handler = handler
    }

    /// Connects to `path`.
    static func connect(
        to path: String, group: any EventLoopGroup, maximumFrameSize: Int, connectTimeout: Duration, logger: Logger
    ) async throws -> RPCClientConnection {
        var logger = logger
        logger[metadataKey: "rpc.socket"] = "\(path)"
        let status = Status()
        let connectionLogger = logger
        // The handler is taken from the initializer rather than looked up after the connect:
        // a server may send GOAWAY and the connection close before a lookup could run, which
        // would turn a healthy replica into a failed connect (and put it in backoff).
        let (channel, handler) = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RPCClientConnectionHandler(shared: status, logger: connectionLogger)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(RPCFrameDecoder(maximumFrameSize: maximumFrameSize)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        channel.closeFuture.whenComplete { _ in status.markClosed() }
        return RPCClientConnection(path: path, channel: channel, status: status, handler: handler)
    }

    /// Sends one call and waits for its response message (or status error).
    func call(
        method: String, metadata: CallMetadata, timeout: Duration?,
        message: (inout ByteBuffer) -> Void
    ) async throws -> ByteBuffer {
        var id = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue
        if id == 0 { id = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue }
        let callID = id
        var timeoutMilliseconds: UInt32 = 0
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            timeoutMilliseconds = UInt32(clamping: max(milliseconds, 1))
        }
        let header = WireRequestHeader(method: method, timeoutMilliseconds: timeoutMilliseconds, metadata: metadata)
        var buffer = channel.allocator.buffer(capacity: 256)
        buffer.writeCallFrame(kind: .request, callID: callID, header: { header.encode(into: &$0) }, message: message)
        let frame = buffer
        let eventLoop = channel.eventLoop
        let handler = self.handler
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                if Task.isCancelled {
                    return continuation.resume(throwing: RPCError(.cancelled, "call cancelled"))
                }
                if eventLoop.inEventLoop {
                    handler.value.start(callID, frame: frame, timeout: timeout, continuation: continuation)
                } else {
                    eventLoop.execute {
                        handler.value.start(callID, frame: frame, timeout: timeout, continuation: continuation)
                    }
                }
            }
        } onCancel: {
            eventLoop.execute { handler.value.cancel(callID) }
        }
    }

    /// Pings the server; closes the connection when the last ping went unanswered.
    func keepAlive() {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.keepAlive() }
    }

    /// Closes the connection; calls in flight fail with UNAVAILABLE.
    func close() {
        channel.close(promise: nil)
    }
}
