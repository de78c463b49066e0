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
        let run: @Sendable (ByteBuffer, RPCContext) async throws -> ByteBuffer
    }

    /// The service whose methods this router serves.
    public let service: ServiceDescriptor
    private let routes = Mutex<[String: Route]>([:])
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
        precondition(service.declares(method.fullName), "\(method.fullName) is not declared by \(service.name)")
        let route = Route(isIdempotent: method.isIdempotent) { bytes, context in
            let input: Input
            do {
                input = try bytes.withUnsafeReadableBytes { try Input(serializedBytes: $0) }
            } catch {
                throw RPCError(.invalidArgument, "request is not a valid \(Input.protoName)", cause: error)
            }
            let output = try await handler(input, context)
            var buffer = ByteBuffer()
            buffer.writeMessage(output)
            return buffer
        }
        routes.withLock { $0[method.fullName] = route }
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
