/// An error from the database layer: an opaque ``Code`` that the RPC layer maps to a status,
/// the server's SQLSTATE and constraint name when there is one, and a message safe to show.
///
/// Its `description` never contains the SQL text, parameter values or the server's own
/// message (which can quote values, e.g. `invalid input syntax for type uuid: "…"`).
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarse enough to map to an RPC status code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case alreadyExists, failedPrecondition, invalidArgument, aborted, unavailable
            case permissionDenied, `internal`, decodingFailed, migrationFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A unique constraint was violated (SQLSTATE 23505).
        public static let alreadyExists = Code(.alreadyExists)
        /// A foreign key was violated (SQLSTATE 23503).
        public static let failedPrecondition = Code(.failedPrecondition)
        /// A check or not-null constraint failed, or a value could not be parsed (class 22, 23502, 23514).
        public static let invalidArgument = Code(.invalidArgument)
        /// A serialization failure or deadlock (40001, 40P01): the transaction may be retried.
        public static let aborted = Code(.aborted)
        /// The server could not be reached or the connection broke (class 08, 57P0x, 53300),
        /// or the client is shut down.
        public static let unavailable = Code(.unavailable)
        /// The role lacks a privilege (42501).
        public static let permissionDenied = Code(.permissionDenied)
        /// Anything else: a bug in the SQL, an unexpected server state.
        public static let `internal` = Code(.internal)
        /// A column could not be decoded into the requested Swift type.
        public static let decodingFailed = Code(.decodingFailed)
        /// A migration could not be applied, or an applied migration file changed.
        public static let migrationFailed = Code(.migrationFailed)

        /// The code's name, e.g. `alreadyExists`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A message safe to log and show: it holds no SQL and no values.
    public var message: String
    /// The server's SQLSTATE (e.g. `23505`), when the server reported one.
    public var sqlState: String?
    /// The violated constraint's name, when the server reported one.
    public var constraint: String?
    /// The server's primary message. It may quote values: log it at debug level only.
    public var serverMessage: String?
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int

    /// Creates an error.
    public init(
        code: Code, message: String, sqlState: String? = nil, constraint: String? = nil,
        serverMessage: String? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.constraint = constraint
        self.serverMessage = serverMessage
        self.file = file
        self.line = line
    }

    /// Whether running the same work again may succeed (``Code/aborted`` or ``Code/unavailable``).
    public var isRetryable: Bool { code == .aborted || code == .unavailable }

    /// `PostgresError(code: …, sqlState: …, constraint: …): message` — no SQL, no values.
    public var description: String {
        var parts = ["code: \(code)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        return "PostgresError(\(parts.joined(separator: ", "))): \(message)"
    }
}

extension PostgresError {
    /// Maps a server error to a ``Code`` and a safe message from its SQLSTATE alone.
    static func fromServer(
        sqlState: String?, constraint: String?, serverMessage: String?,
        file: String = #fileID, line: Int = #line
    ) -> PostgresError {
        let (code, message) = classify(sqlState: sqlState)
        return PostgresError(
            code: code, message: message, sqlState: sqlState, constraint: constraint,
            serverMessage: serverMessage, file: file, line: line)
    }

    /// The code a SQLSTATE maps to (e.g. `23505` → ``Code/alreadyExists``).
    public static func code(forSQLState state: String) -> Code { classify(sqlState: state).0 }

    /// The kind and a safe message for a SQLSTATE.
    static func classify(sqlState: String?) -> (Code, String) {
        guard let state = sqlState else { return (.unavailable, "connection to the database failed") }
        switch state {
        case "23505": return (.alreadyExists, "a unique constraint was violated")
        case "23503": return (.failedPrecondition, "a foreign key constraint was violated")
        case "23514": return (.invalidArgument, "a check constraint was violated")
        case "23502": return (.invalidArgument, "a not-null constraint was violated")
        case "22P02": return (.invalidArgument, "a value has an invalid text representation")
        case "40001": return (.aborted, "the transaction could not be serialized")
        case "40P01": return (.aborted, "a deadlock was detected")
        case "42501": return (.permissionDenied, "the database role lacks a privilege")
        case "57P01", "57P02", "57P03": return (.unavailable, "the database server is shutting down or starting")
        case "53300": return (.unavailable, "the database server has too many connections")
        default: break
        }
        if state.hasPrefix("08") { return (.unavailable, "the database connection failed") }
        if state.hasPrefix("22") { return (.invalidArgument, "a value is out of range or malformed") }
        if state.hasPrefix("23") { return (.invalidArgument, "an integrity constraint was violated") }
        return (.internal, "the database reported an error")
    }
}
