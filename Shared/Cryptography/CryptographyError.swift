/// An error from the Cryptography library.
///
/// The `message` is safe to log and to show: it never carries a key, a plaintext, a password,
/// a token or any other secret, and `description` prints only the code and the message.
public struct CryptographyError: Error, Sendable, CustomStringConvertible {
    /// An opaque, stable identifier of what went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) { self.name = name }

        /// A key has the wrong length or cannot be decoded.
        public static let invalidKey = Code("invalid_key")
        /// A key ring configuration string is malformed or empty.
        public static let invalidKeyRing = Code("invalid_key_ring")
        /// A sealed value names a key id the key ring does not hold.
        public static let unknownKeyID = Code("unknown_key_id")
        /// A sealed value is not in the documented format.
        public static let malformedSealedValue = Code("malformed_sealed_value")
        /// Authentication failed: the sealed value, its associated data or its key is wrong.
        public static let authenticationFailed = Code("authentication_failed")
        /// A password hash string is not in the documented format.
        public static let malformedPasswordHash = Code("malformed_password_hash")
        /// Scrypt parameters are out of range.
        public static let invalidParameters = Code("invalid_parameters")
        /// Text is not valid base32 or base64.
        public static let invalidEncoding = Code("invalid_encoding")
        /// An input is outside what the operation accepts (length, digits, size).
        public static let invalidInput = Code("invalid_input")
        /// OpenSSL reported a failure it should not have (allocation, internal error).
        public static let openSSLFailure = Code("openssl_failure")

        /// The code's stable name, e.g. `authentication_failed`.
        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// A message safe to log; never contains secret material.
    public let message: String
    /// The file that raised the error.
    public let file: String
    /// The line that raised the error.
    public let line: Int

    /// Creates an error; `message` must not contain secret material.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// `code: message`, with no secret material.
    public var description: String { "\(code): \(message)" }
}
