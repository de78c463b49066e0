/// An error that knows the RPC status it should be answered with.
///
/// A handler may throw any error; the server answers an ``RPCError`` as it is, an error
/// conforming to this protocol with its ``rpcError``, and anything else as `INTERNAL` with a
/// generic message. Libraries below the RPC layer (PostgreSQL's errors, for instance) get
/// their mapping in one place by conforming here, instead of every handler catching them.
public protocol RPCErrorConvertible: Error {
    /// The status and safe message a caller sees.
    var rpcError: RPCError { get }
}

extension RPCError {
    /// The error a caller receives for whatever a handler threw: an ``RPCError`` as it is,
    /// an ``RPCErrorConvertible`` mapped, cancellation as `CANCELLED`, anything else as
    /// `INTERNAL` with a generic message (the cause stays on this side of the wire).
    public static func answering(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as any RPCErrorConvertible:
            var mapped = error.rpcError
            if mapped.cause == nil { mapped.cause = error }
            return mapped
        case is CancellationError:
            return RPCError(.cancelled, "call cancelled", cause: error)
        default:
            return RPCError(.internalError, "internal error", cause: error)
        }
    }
}
