import Logging
import NIOCore

/// The client side of one connection: matches responses to waiting calls by call id, runs
/// call deadlines and keep-alive on the event loop, and honours GOAWAY.
final class RPCClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = RPCFrame
    typealias OutboundOut = ByteBuffer

    /// A call waiting for its answer. Whatever ends it (answer, deadline, cancel, GOAWAY,
    /// connection loss) removes it from ``pending`` before resuming it, so each continuation
    /// is resumed exactly once; that is why an unchecked one (no per-call check object) will do.
    private struct Pending {
        var continuation: UnsafeContinuation<ByteBuffer, any Error>
        var timer: Scheduled<Void>?
    }

    private let shared: RPCClientConnection.Status
    private let logger: Logger
    private var pending: [UInt32: Pending] = [:]
    private var cancelledBeforeStart: Set<UInt32> = []
    private var context: ChannelHandlerContext?
    private var goAwayLastCallID: UInt32?
    private var pingOutstanding = false

    init(shared: RPCClientConnection.Status, logger: Logger) {
        self.shared = shared
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Registers a call and writes its request frame.
    func start(
        _ callID: UInt32, frame: ByteBuffer, timeout: Duration?,
        continuation: UnsafeContinuation<ByteBuffer, any Error>
    ) {
        if cancelledBeforeStart.remove(callID) != nil {
            return continuation.resume(throwing: RPCError(.cancelled, "call cancelled"))
        }
        guard let context, context.channel.isActive, goAwayLastCallID == nil else {
            return continuation.resume(throwing: RPCError.transport("connection is closing", notProcessed: true))
        }
        var entry = Pending(continuation: continuation)
        if let timeout {
            entry.timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
                self.abandon(callID, RPCError(.deadlineExceeded, "deadline exceeded"))
            }
        }
        pending[callID] = entry
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    /// Fails a call the caller gave up on and tells the server to cancel its handler.
    func cancel(_ callID: UInt32) {
        guard pending[callID] != nil else {
            if cancelledBeforeStart.count > 1024 { cancelledBeforeStart.removeAll() }
            cancelledBeforeStart.insert(callID)
            return
        }
        abandon(callID, RPCError(.cancelled, "call cancelled"))
    }

    /// Sends a ping; closes the connection when the previous one was never answered.
    func keepAlive() {
        guard let context else { return }
        if pingOutstanding {
            logger.info("closing connection: keep-alive ping not answered")
            context.close(promise: nil)
            return
        }
        pingOutstanding = true
        var frame = context.channel.allocator.buffer(capacity: 17)
        frame.writeFrame(kind: .ping, callID: 0, payload: ByteBuffer(integer: UInt64(0)))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func abandon(_ callID: UInt32, _ error: RPCError) {
        guard let entry = pending.removeValue(forKey: callID) else { return }
        entry.timer?.cancel()
        entry.continuation.resume(throwing: error)
        if let context, context.channel.isActive {
            var frame = context.channel.allocator.buffer(capacity: 9)
            frame.writeFrame(kind: .cancel, callID: callID, payload: nil)
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
        closeIfDrained()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.kind {
        case .response:
            guard let entry = pending.removeValue(forKey: frame.callID) else { return }
            entry.timer?.cancel()
            do {
                let (headerBytes, message) = try frame.callParts()
                let header = try WireResponseHeader.decode(headerBytes)
                if header.code == 0 {
                    entry.continuation.resume(returning: message)
                } else {
                    let code = RPCError.Code(wireValue: header.code)
                    entry.continuation.resume(throwing: RPCError(code, header.message))
                }
            } catch {
                entry.continuation.resume(throwing: RPCError(.internalError, "malformed response", cause: error))
                return closeForBadInput("malformed response: \(error)")
            }
            closeIfDrained()
        case .pong:
            pingOutstanding = false
        case .ping:
            var pong = context.channel.allocator.buffer(capacity: 9 + frame.payload.readableBytes)
            pong.writeFrame(kind: .pong, callID: 0, payload: frame.payload)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .goAway:
            let goAway = (try? WireGoAway.decode(frame.payload)) ?? WireGoAway(lastCallID: 0, reason: "")
            goAwayLastCallID = goAway.lastCallID
            shared.markDraining()
            logger.debug("server sent GOAWAY", metadata: ["rpc.last_call_id": "\(goAway.lastCallID)"])
            for callID in pending.keys where callID > goAway.lastCallID {
                let entry = pending.removeValue(forKey: callID)!
                entry.timer?.cancel()
                entry.continuation.resume(throwing: RPCError.transport("server is draining", notProcessed: true))
            }
            closeIfDrained()
        case .request, .cancel:
            closeForBadInput("unexpected \(frame.kind) frame from a server")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        shared.markClosed()
        let lost = pending
        pending.removeAll()
        for (callID, entry) in lost {
            entry.timer?.cancel()
            // Calls the server announced it would not answer were never started there.
            let notProcessed = goAwayLastCallID.map { callID > $0 } ?? false
            entry.continuation.resume(throwing: RPCError.transport("connection lost", notProcessed: notProcessed))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeForBadInput("\(error)")
    }

    private func closeIfDrained() {
        guard goAwayLastCallID != nil, pending.isEmpty, let context else { return }
        context.close(promise: nil)
    }

    private func closeForBadInput(_ reason: String) {
        guard let context else { return }
        logger.notice("closing connection: \(reason)")
        context.close(promise: nil)
    }
}
