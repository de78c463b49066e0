import Contracts
import Logging
import NIOCore

/// Calls an ``RPCRouter``'s handlers directly, without sockets, for unit tests of handlers.
///
/// Requests and responses still go through their protobuf encoding, a method's immediate
/// path answers first, unknown methods answer
/// `UNIMPLEMENTED`, bad requests `INVALID_ARGUMENT`, and the timeout cancels the handler and
/// answers `DEADLINE_EXCEEDED`, as over a socket.
public struct RPCInProcessClient: RPCCaller {
    private let router: RPCRouter
    private let logger: Logger

    /// Creates a client calling `router`'s handlers.
    public init(router: RPCRouter, logger: Logger = Logger(label: "smarterchat.rpc.in-process")) {
        self.router = router
        self.logger = logger
    }

    /// Calls the handler of `method`; see ``RPCCaller/callForBytes(_:_:metadata:timeout:)``.
    public func callForBytes<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, metadata: CallMetadata, timeout: Duration?
    ) async throws -> ByteBuffer {
        var requestBytes = ByteBuffer()
        requestBytes.writeMessage(request)
        return try await call(method: method.fullName, request: requestBytes, metadata: metadata, timeout: timeout)
    }

    /// Calls a method by name with raw request bytes.
    public func call(
        method: String, request: ByteBuffer, metadata: CallMetadata, timeout: Duration?
    ) async throws
        -> ByteBuffer
    {
        guard router.service.declares(method), let route = router.route(for: method) else {
            throw RPCError(.unimplemented, "method \(method) is not implemented")
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let context = RPCContext(method: method, metadata: metadata, deadline: deadline, logger: logger)
        guard let timeout else { return try await Self.run(route, request, context) }
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await Self.run(route, request, context) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw RPCError(.deadlineExceeded, "deadline exceeded")
            }
            return result
        }
    }

    private static func run(
        _ route: RPCRouter.Route, _ request: ByteBuffer, _ context: RPCContext
    ) async throws
        -> ByteBuffer
    {
        do {
            if let immediate = route.immediate, let answer = try immediate(request, context) { return answer }
            return try await route.run(request, context)
        } catch {
            throw RPCError.answering(error)
        }
    }
}
