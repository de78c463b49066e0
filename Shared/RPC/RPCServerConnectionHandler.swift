import Contracts
import Logging
import NIOCore

/// Asks a server connection to drain: send GOAWAY, finish in-flight calls, then close.
struct RPCDrainEvent: Sendable {}

/// One accepted connection of an ``RPCServer``: decodes call frames, runs handlers and writes
/// responses. Lives on the channel's event loop; each call hops into async code once, through
/// `Task.immediate`, so a handler that never suspends answers without leaving the loop.
final class RPCServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = RPCFrame
    typealias OutboundOut = ByteBuffer

    private struct Call {
        var task: Task<Void, Never>?
        var timer: Scheduled<Void>?
    }

    private let router: RPCRouter
    private let counters: RPCServerCounters
    private let idleTimeout: TimeAmount
    private var logger: Logger
    private var calls: [UInt32: Call] = [:]
    private var context: ChannelHandlerContext?
    private var draining = false
    private var closing = false
    private var lastCallID: UInt32 = 0
    private var inRead = false
    private var needsFlush = false
    private var lastActivity = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?

    init(router: RPCRouter, counters: RPCServerCounters, idleTimeout: Duration, logger: Logger) {
        self.router = router
        self.counters = counters
        self.idleTimeout = TimeAmount(idleTimeout)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        scheduleIdleCheck(in: idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastActivity = .now()
        inRead = true
        defer { inRead = false }
        switch frame.kind {
        case .request:
            do {
                try startCall(frame, context: context)
            } catch {
                closeForBadInput("\(error)")
            }
        case .cancel:
            if let call = calls.removeValue(forKey: frame.callID) {
                call.timer?.cancel()
                call.task?.cancel()
                finishDrainIfIdle()
            }
        case .ping:
            var pong = context.channel.allocator.buffer(capacity: 9 + frame.payload.readableBytes)
            pong.writeFrame(kind: .pong, callID: frame.callID, payload: frame.payload)
            context.write(wrapOutboundOut(pong), promise: nil)
            needsFlush = true
        case .pong:
            break
        case .response, .goAway:
            closeForBadInput("unexpected \(frame.kind) frame from a client")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !calls.isEmpty {
            logger.info(
                "client went away with calls in flight; cancelling them", metadata: ["rpc.calls": "\(calls.count)"])
        }
        for call in calls.values {
            call.timer?.cancel()
            call.task?.cancel()
        }
        calls.removeAll()
        idleTimer?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeForBadInput("\(error)")
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is RPCDrainEvent else { return context.fireUserInboundEventTriggered(event) }
        startDrain(reason: "server shutting down")
    }

    /// Sends GOAWAY, then closes once the calls in flight are answered. A request racing the
    /// GOAWAY has a higher call id, so its client knows it was not started and may resend it.
    private func startDrain(reason: String) {
        guard !draining, let context else { return }
        draining = true
        var frame = context.channel.allocator.buffer(capacity: 64)
        let goAway = WireGoAway(lastCallID: lastCallID, reason: reason)
        frame.writeCallFrameless(kind: .goAway) { goAway.encode(into: &$0) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        finishDrainIfIdle()
    }

    // MARK: Calls

    private func startCall(_ frame: RPCFrame, context: ChannelHandlerContext) throws {
        let callID = frame.callID
        guard callID != 0, calls[callID] == nil else {
            throw RPCFrameError(.malformed, "call id \(callID) is zero or already in flight")
        }
        let (headerBytes, message) = try frame.callParts()
        let header: WireRequestHeader
        do {
            header = try WireRequestHeader.decode(headerBytes)
        } catch {
            throw RPCFrameError(.malformed, "request header: \(error)")
        }
        if draining, callID > lastCallID {
            return respond(callID, .failure(RPCError(.unavailable, "server is draining")))
        }
        lastCallID = max(lastCallID, callID)
        // Only methods the descriptor declares can be registered, so a route is a declared method.
        guard let route = router.route(for: header.method) else {
            counters.unimplemented()
            return respond(callID, .failure(RPCError(.unimplemented, "method \(header.method) is not implemented")))
        }

        var deadline: ContinuousClock.Instant?
        if header.timeoutMilliseconds > 0 {
            deadline = .now + .milliseconds(header.timeoutMilliseconds)
        }
        let callContext = RPCContext(
            method: header.method, metadata: header.metadata, deadline: deadline, logger: logger)
        let counters = self.counters
        let metrics = router.metrics
        let method = header.method
        if let immediate = route.immediate {
            let started = ContinuousClock.now
            let answer: Result<ByteBuffer, any Error>?
            do {
                answer = try immediate(message, callContext).map { .success($0) }
            } catch {
                answer = .failure(error)
            }
            if let answer {
                metrics.record(method: method, code: statusCode(of: answer), duration: .now - started)
                return respond(callID, answer)
            }
        }

        calls[callID] = Call()
        let eventLoop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        counters.callStarted()
        let task = Task.immediate {
            let started = ContinuousClock.now
            let result: Result<ByteBuffer, any Error>
            do {
                result = .success(try await route.run(message, callContext))
            } catch {
                result = .failure(error)
            }
            metrics.record(method: method, code: statusCode(of: result), duration: .now - started)
            counters.callFinished()
            if eventLoop.inEventLoop {
                handler.value.complete(callID, result)
            } else {
                eventLoop.execute { handler.value.complete(callID, result) }
            }
        }
        // A handler that never suspended has answered already; one that did gets its task and
        // deadline now (its answer comes back through this loop, so not before this runs).
        guard calls[callID] != nil else { return }
        calls[callID]?.task = task
        if let deadline {
            let milliseconds = header.timeoutMilliseconds
            calls[callID]?.timer = context.eventLoop.assumeIsolated().scheduleTask(
                in: TimeAmount(max(deadline - .now, .zero))
            ) { [self] in self.expire(callID, after: milliseconds) }
        }
    }

    private func complete(_ callID: UInt32, _ result: Result<ByteBuffer, any Error>) {
        // Gone when the call was cancelled or its deadline passed: it was answered already.
        guard let call = calls.removeValue(forKey: callID) else { return }
        call.timer?.cancel()
        respond(callID, result)
        finishDrainIfIdle()
    }

    private func expire(_ callID: UInt32, after milliseconds: UInt32) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        call.task?.cancel()
        respond(callID, .failure(RPCError(.deadlineExceeded, "deadline of \(milliseconds) ms exceeded")))
        finishDrainIfIdle()
    }

    private func respond(_ callID: UInt32, _ result: Result<ByteBuffer, any Error>) {
        guard let context, !closing else { return }
        var frame: ByteBuffer
        switch result {
        case .success(let message):
            frame = context.channel.allocator.buffer(capacity: 13 + message.readableBytes)
            frame.writeCallFrame(kind: .response, callID: callID, header: { _ in }) {
                $0.writeImmutableBuffer(message)
            }
        case .failure(let error):
            let header = WireResponseHeader(rpcError(from: error))
            frame = context.channel.allocator.buffer(capacity: 64)
            frame.writeCallFrame(kind: .response, callID: callID, header: { header.encode(into: &$0) }) { _ in }
        }
        context.write(wrapOutboundOut(frame), promise: nil)
        if inRead {
            needsFlush = true
        } else {
            context.flush()
        }
    }

    private func rpcError(from error: any Error) -> RPCError {
        let answer = RPCError.answering(error)
        if answer.code == .internalError, !(error is RPCError) {
            logger.error("handler failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
        return answer
    }

    // MARK: Connection

    /// Closes a draining connection once its calls are answered. (Waiting for the client to
    /// close first would spare a request racing the GOAWAY an EPIPE, but its timer proved
    /// unreliable under load; such a request fails UNAVAILABLE and is resent when idempotent.)
    private func finishDrainIfIdle() {
        guard draining, calls.isEmpty, let context, !closing else { return }
        closing = true
        context.close(promise: nil)
    }

    private func closeForBadInput(_ reason: String) {
        guard let context, !closing else { return }
        closing = true
        counters.badInput()
        logger.notice("closing connection: \(reason)")
        context.close(promise: nil)
    }

    private func scheduleIdleCheck(in delay: TimeAmount) {
        guard let context else { return }
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            let silent = NIODeadline.now() - lastActivity
            if calls.isEmpty, silent >= idleTimeout, !closing, !draining {
                logger.info("closing idle connection", metadata: ["rpc.idle_ms": "\(silent.nanoseconds / 1_000_000)"])
                startDrain(reason: "idle")
            } else if !closing, !draining {
                scheduleIdleCheck(in: max(idleTimeout - silent, .milliseconds(10)))
            }
        }
    }
}

/// The status name a call's result is recorded under.
private func statusCode(of result: Result<ByteBuffer, any Error>) -> String {
    switch result {
    case .success: "OK"
    case .failure(let error): RPCError.answering(error).code.description
    }
}

extension ByteBuffer {
    /// Appends a connection-level frame (call id 0) whose payload `body` writes.
    mutating func writeCallFrameless(kind: RPCFrame.Kind, _ body: (inout ByteBuffer) -> Void) {
        let start = writerIndex
        writeInteger(UInt32(0))
        writeInteger(kind.rawValue)
        writeInteger(UInt32(0))
        body(&self)
        setInteger(UInt32(writerIndex - start - 4), at: start)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
