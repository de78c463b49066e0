/// The error a handler throws and a caller receives: a canonical status code, a message safe
/// to show, and the underlying cause (never sent on the wire).
///
/// Handlers throw it to answer a call with a status other than OK; any other error a handler
/// throws is answered as `INTERNAL` with a generic message, so internals never leak to callers.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    /// gRPC's canonical status codes (same numbers as `smarterchat.rpc.StatusCode`), minus OK.
    public enum Code: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case cancelled = 1
        case unknown = 2
        case invalidArgument = 3
        case deadlineExceeded = 4
        case notFound = 5
        case alreadyExists = 6
        case permissionDenied = 7
        case resourceExhausted = 8
        case failedPrecondition = 9
        case aborted = 10
        case outOfRange = 11
        case unimplemented = 12
        case internalError = 13
        case unavailable = 14
        case dataLoss = 15
        case unauthenticated = 16

        /// The code for a wire value; values from a newer peer that this build does not know
        /// map to ``unknown``.
        public init(wireValue: Int) {
            self = Code(rawValue: wireValue) ?? .unknown
        }

        /// The upper-case name used by gRPC and in `envelope.proto`, e.g. `NOT_FOUND`.
        public var description: String {
            switch self {
            case .cancelled: "CANCELLED"
            case .unknown: "UNKNOWN"
            case .invalidArgument: "INVALID_ARGUMENT"
            case .deadlineExceeded: "DEADLINE_EXCEEDED"
            case .notFound: "NOT_FOUND"
            case .alreadyExists: "ALREADY_EXISTS"
            case .permissionDenied: "PERMISSION_DENIED"
            case .resourceExhausted: "RESOURCE_EXHAUSTED"
            case .failedPrecondition: "FAILED_PRECONDITION"
            case .aborted: "ABORTED"
            case .outOfRange: "OUT_OF_RANGE"
            case .unimplemented: "UNIMPLEMENTED"
            case .internalError: "INTERNAL"
            case .unavailable: "UNAVAILABLE"
            case .dataLoss: "DATA_LOSS"
            case .unauthenticated: "UNAUTHENTICATED"
            }
        }
    }

    /// The status code.
    public var code: Code
    /// A message safe to show to the caller (and, through the gateway, to an end user).
    public var message: String
    /// The underlying error, kept on this side of the wire for logs; never sent.
    public var cause: (any Error)?
    /// Where the error was created.
    public var fileID: String
    /// The line where the error was created.
    public var line: Int

    /// Creates an error; `message` must be safe to show to the caller.
    public init(
        _ code: Code, _ message: String, cause: (any Error)? = nil,
        fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.fileID = fileID
        self.line = line
    }

    /// `CODE: message`, without the cause.
    public var description: String { "\(code): \(message)" }
}

/// The transport failed before the call was answered: the connection died, could not be
/// opened, or the server refused the call while draining. Used as an ``RPCError/cause`` so the
/// client pool knows the call may be retried on another replica.
struct TransportFailure: Error, Sendable, CustomStringConvertible {
    /// Whether the server is known not to have started the call (safe to retry any method).
    var notProcessed: Bool
    var reason: String

    var description: String { reason }
}

extension RPCError {
    /// Whether the error is a transport failure that may be retried on another replica.
    var isTransportFailure: Bool { cause is TransportFailure }

    /// Whether the server is known not to have started the call.
    var isNotProcessed: Bool { (cause as? TransportFailure)?.notProcessed ?? false }

    static func transport(_ reason: String, notProcessed: Bool, fileID: String = #fileID, line: Int = #line) -> RPCError
    {
        RPCError(
            .unavailable, reason, cause: TransportFailure(notProcessed: notProcessed, reason: reason),
            fileID: fileID, line: line)
    }
}
