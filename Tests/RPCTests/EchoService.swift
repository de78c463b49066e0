import Contracts
import Logging
import NIOCore
import Synchronization

@testable import RPC

/// A test-only message: a text and how long the handler should sleep before echoing it.
struct EchoMessage: ProtoMessage {
    static let protoName = "smarterchat.test.EchoMessage"
    var text = ""
    var delayMilliseconds: UInt32 = 0

    init() {}

    init(text: String, delayMilliseconds: UInt32 = 0) {
        self.text = text
        self.delayMilliseconds = delayMilliseconds
    }

    init(serializedBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = ProtoReader(buffer: ByteBuffer(bytes: bytes))
        do {
            while let (field, wireType) = try reader.nextField() {
                switch field {
                case 1: text = try reader.readString(wireType: wireType)
                case 2: delayMilliseconds = UInt32(truncatingIfNeeded: try reader.readVarint(wireType: wireType))
                default: try reader.skip(wireType: wireType)
                }
            }
        } catch {
            throw ProtoDecodingError(messageName: Self.protoName)
        }
    }

    func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var buffer = ByteBuffer()
        buffer.writeStringField(1, text)
        buffer.writeVarintField(2, UInt64(delayMilliseconds))
        return try buffer.withUnsafeReadableBytes(body)
    }
}

/// The test service: echo, sleep-then-echo, fail, and a declared method with no handler.
enum Echo {
    static let descriptor = ServiceDescriptor(
        name: "smarterchat.test.Echo", methods: ["Echo", "GetSlow", "Fail", "WhoAmI", "GetCached", "Unregistered"])
    static let echo = MethodDescriptor<EchoMessage, EchoMessage>(
        service: descriptor.name, name: "Echo", isIdempotent: false)
    /// Idempotent (its name starts with Get), sleeps `delayMilliseconds` first.
    static let getSlow = MethodDescriptor<EchoMessage, EchoMessage>(
        service: descriptor.name, name: "GetSlow", isIdempotent: true)
    static let fail = MethodDescriptor<EchoMessage, EchoMessage>(
        service: descriptor.name, name: "Fail", isIdempotent: false)
    static let whoAmI = MethodDescriptor<EchoMessage, EchoMessage>(
        service: descriptor.name, name: "WhoAmI", isIdempotent: true)
    /// Answered by its immediate path when the text starts with `memo:`, refused there when
    /// it starts with `deny:`; otherwise its handler sleeps `delayMilliseconds` and answers.
    static let getCached = MethodDescriptor<EchoMessage, EchoMessage>(
        service: descriptor.name, name: "GetCached", isIdempotent: true)
    static let unregistered = MethodDescriptor<EchoMessage, EchoMessage>(
        service: descriptor.name, name: "Unregistered", isIdempotent: false)
    static let undeclared = MethodDescriptor<EchoMessage, EchoMessage>(
        service: descriptor.name, name: "Nope", isIdempotent: false)

    /// What the handlers saw, for assertions.
    final class Probe: Sendable {
        private let state = Mutex<(started: Int, cancelled: Int, finished: Int)>((0, 0, 0))
        var started: Int { state.withLock { $0.started } }
        var cancelled: Int { state.withLock { $0.cancelled } }
        var finished: Int { state.withLock { $0.finished } }
        func start() { state.withLock { $0.started += 1 } }
        func cancel() { state.withLock { $0.cancelled += 1 } }
        func finish() { state.withLock { $0.finished += 1 } }

        /// A handler's sleep, counted: started, then cancelled or finished.
        func sleep(milliseconds: UInt32) async throws {
            start()
            do {
                try await Task.sleep(for: .milliseconds(milliseconds))
            } catch {
                cancel()
                throw error
            }
            finish()
        }
    }

    /// A router serving the echo methods; `instance` is prefixed to GetSlow's answer.
    static func router(instance: String = "", probe: Probe = Probe()) -> RPCRouter {
        let router = RPCRouter(service: descriptor)
        router.register(echo) { request, _ in request }
        router.register(getSlow) { request, _ in
            try await probe.sleep(milliseconds: request.delayMilliseconds)
            return EchoMessage(text: instance + request.text)
        }
        router.register(
            getCached,
            immediate: { request, _ in
                if request.text.hasPrefix("deny:") { throw RPCError(.permissionDenied, "denied at once") }
                return request.text.hasPrefix("memo:") ? EchoMessage(text: "immediate " + request.text) : nil
            },
            handler: { request, _ in
                try await probe.sleep(milliseconds: request.delayMilliseconds)
                return EchoMessage(text: "handler " + request.text)
            })
        router.register(fail) { request, _ in
            throw RPCError(.notFound, "no such thing: \(request.text)")
        }
        router.register(whoAmI) { _, context in
            let principal = context.principal
            return EchoMessage(
                text: [
                    context.metadata.requestID, context.metadata.caller, principal.organizationId, principal.userId,
                    principal.role, principal.apiKeyId, principal.scopes.joined(separator: ","),
                ].joined(separator: "|"))
        }
        return router
    }
}
