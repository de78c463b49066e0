import Contracts
import NIOCore

/// Anything that can make a unary call: the socket client pool (``RPCClient``) and the
/// in-process transport (``RPCInProcessClient``) used in handler unit tests.
public protocol RPCCaller: Sendable {
    /// Calls `method` with `request` and returns its response.
    ///
    /// Throws ``RPCError``: the handler's status, `DEADLINE_EXCEEDED` when `timeout` passes,
    /// `CANCELLED` when the calling task is cancelled, `UNAVAILABLE` when no replica answers.
    func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, metadata: CallMetadata, timeout: Duration?
    ) async throws -> Output

    /// Calls `method` like ``call(_:_:metadata:timeout:)`` but returns the response message's
    /// protobuf bytes, not decoded: for a caller that keeps what it made of an answer and can
    /// reuse it while the bytes stay the same.
    func callForBytes<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, metadata: CallMetadata, timeout: Duration?
    ) async throws -> ByteBuffer
}

extension RPCCaller {
    /// ``callForBytes(_:_:metadata:timeout:)``, then the answer decoded; a response that does
    /// not decode is `INTERNAL`.
    public func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, metadata: CallMetadata, timeout: Duration?
    ) async throws -> Output {
        let bytes = try await callForBytes(method, request, metadata: metadata, timeout: timeout)
        do {
            return try bytes.withUnsafeReadableBytes { try Output(serializedBytes: $0) }
        } catch {
            throw RPCError(.internalError, "response is not a valid \(Output.protoName)", cause: error)
        }
    }

    /// Calls `method` with empty metadata (the client fills in the caller) and the default timeout.
    public func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, metadata: CallMetadata = CallMetadata()
    ) async throws -> Output {
        try await call(method, request, metadata: metadata, timeout: nil)
    }
}
