import Postgres
import RPC

/// A database failure reaches the caller with the status its SQLSTATE means: a unique
/// violation is `ALREADY_EXISTS`, a foreign key `FAILED_PRECONDITION`, a serialization
/// failure `ABORTED` (retry), a lost connection `UNAVAILABLE`, and so on. The message is the
/// library's safe one: never the SQL, its values or the server's text.
extension PostgresError: RPCErrorConvertible {
    public var rpcError: RPCError {
        let status: RPCError.Code =
            switch code {
            case .alreadyExists: .alreadyExists
            case .failedPrecondition: .failedPrecondition
            case .invalidArgument: .invalidArgument
            case .aborted: .aborted
            case .unavailable: .unavailable
            case .permissionDenied: .permissionDenied
            default: .internalError
            }
        let message = status == .internalError ? "internal error" : self.message
        return RPCError(status, message, cause: self)
    }
}
