import Contracts
import NIOCore
import Synchronization

/// The handlers of one `.proto` service, checked against its generated ``ServiceDescriptor``.
///
/// Register every method before the server starts; the server answers `UNIMPLEMENTED` for a
/// method the descriptor does not declare or that has no handler.
public final class RPCRouter: Sendable {
    /// A handler erased to bytes in and bytes out.
    struct Route: Sendable {
        let isIdempotent: Bool
        /// Answers without suspending, on the connection's event loop, or returns nil for
        /// ``run`` to answer; nil when the method has no such path.
        let immediate: (@Sendable (ByteBuffer, RPCContext) throws -> ByteBuffer?)?
        let run: @Sendable (ByteBuffer, RPCContext) async throws -> ByteBuffer
    }

    /// The service whose methods this router serves.
    public let service: ServiceDescriptor
    private let routes = Mutex<[String: Route]>([:])
    private let admission = Admission()
    /// Call counts and latencies of the routes, recorded by the server.
    let metrics = RPCServerMetrics()

    /// Creates an empty router for `service`.
    public init(service: ServiceDescriptor) {
        self.service = service
    }

    /// Registers the handler of `method`.
    ///
    /// A request that fails to unpack is answered `INVALID_ARGUMENT` without calling the
    /// handler. Registering a method the service does not declare is a programming error.
    public func register<Input, Output>(
        _ method: MethodDescriptor<Input, Output>,
        handler: @escaping @Sendable (Input, RPCContext) async throws -> Output
    ) {
        add(method, immediate: nil, handler: handler)
    }

    /// Registers the handler of `method` with a path that answers from memory.
    ///
    /// The server calls `immediate` first, synchronously on the connection's event loop:
    /// its answer (or error) is sent at once, without starting a task or a deadline timer;
    /// nil means it cannot answer without waiting, and `handler` runs as for any method.
    /// `immediate` must not block: it may read memory and start tasks, nothing more.
    public func register<Input, Output>(
        _ method: MethodDescriptor<Input, Output>,
        immediate: @escaping @Sendable (Input, RPCContext) throws -> Output?,
        handler: @escaping @Sendable (Input, RPCContext) async throws -> Output
    ) {
        add(method, immediate: immediate, handler: handler)
    }

    private func add<Input, Output>(
        _ method: MethodDescriptor<Input, Output>,
        immediate: (@Sendable (Input, RPCContext) throws -> Output?)?,
        handler: @escaping @Sendable (Input, RPCContext) async throws -> Output
    ) {
        precondition(service.declares(method.fullName), "\(method.fullName) is not declared by \(service.name)")
        let (admission, name) = (self.admission, method.fullName)
        @Sendable func admitted(_ bytes: ByteBuffer) throws -> Input {
            if let reason = admission.refusal(of: name) { throw RPCError(.unavailable, reason) }
            do {
                return try bytes.withUnsafeReadableBytes { try Input(serializedBytes: $0) }
            } catch {
                throw RPCError(.invalidArgument, "request is not a valid \(Input.protoName)", cause: error)
            }
        }
        @Sendable func encoded(_ output: Output) -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writeMessage(output)
            return buffer
        }
        var answerNow: (@Sendable (ByteBuffer, RPCContext) throws -> ByteBuffer?)?
        if let immediate {
            answerNow = { bytes, context in
                guard let output = try immediate(admitted(bytes), context) else { return nil }
                return encoded(output)
            }
        }
        let route = Route(
            isIdempotent: method.isIdempotent, immediate: answerNow,
            run: { bytes, context in encoded(try await handler(admitted(bytes), context)) })
        routes.withLock { $0[method.fullName] = route }
    }

    /// Answers every method but `exempt` with `UNAVAILABLE` and the text of `reason`, without
    /// calling its handler, until `reason` first answers nil; from then on every call runs and
    /// costs one atomic load (a domain service refuses calls this way until its schema is
    /// migrated, rather than running them against missing tables).
    public func refuseCalls(except exempt: Set<String>, while reason: @escaping @Sendable () -> String?) {
        admission.install(Admission.Rule(exempt: exempt, reason: reason))
    }

    /// The route for a method name, if the service declares it and it has a handler.
    func route(for method: String) -> Route? {
        routes.withLock { $0[method] }
    }

    /// The full names of the registered methods.
    public var registeredMethods: [String] {
        routes.withLock { Array($0.keys).sorted() }
    }
}

/// The gate of ``RPCRouter/refuseCalls(except:while:)``, checked at each call: closed while
/// its rule gives a reason, then open for good.
private final class Admission: Sendable {
    struct Rule {
        var exempt: Set<String>
        var reason: @Sendable () -> String?
    }

    private let rule = Mutex<Rule?>(nil)
    private let open = Atomic<Bool>(true)

    func install(_ rule: Rule) {
        self.rule.withLock { $0 = rule }
        open.store(false, ordering: .releasing)
    }

    /// Why `method` is refused now; nil when it runs.
    func refusal(of method: String) -> String? {
        if open.load(ordering: .acquiring) { return nil }
        guard let rule = rule.withLock({ $0 }), !rule.exempt.contains(method) else { return nil }
        guard let reason = rule.reason() else {
            open.store(true, ordering: .releasing)
            return nil
        }
        return reason
    }
}
