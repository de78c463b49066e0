import CLibCrypto

/// Password hashing with scrypt (RFC 7914) through OpenSSL's `EVP_PBE_scrypt`, stored as a
/// self-describing string that records the parameters:
///
///     $scrypt$ln=17,r=8,p=1$<salt, base64 unpadded>$<hash, base64 unpadded>
///
/// `ln` is log2(N). The salt is 16 random bytes per password, the hash 32 bytes. Raise the
/// parameters over time: `verify` checks against whatever a stored string records, and
/// `needsRehash(_:)` tells the caller to store a fresh hash after a successful login.
public struct PasswordHasher: Sendable {
    /// Scrypt cost parameters.
    public struct Parameters: Sendable, Equatable, CustomStringConvertible {
        /// log2 of the CPU/memory cost N (N = 2^logN).
        public var logN: Int
        /// Block size r.
        public var r: Int
        /// Parallelism p.
        public var p: Int

        /// Creates parameters; `validate()` checks the ranges.
        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }

        /// OWASP's current minimum: N = 2^17, r = 8, p = 1 (128 MiB, roughly 0.3 s).
        public static let owaspMinimum = Parameters(logN: 17, r: 8, p: 1)

        /// Cheap parameters for tests only (N = 2^10): never for real passwords.
        public static let testing = Parameters(logN: 10, r: 8, p: 1)

        /// Memory scrypt needs, in bytes: 128·r·(N+2) + 128·r·p.
        public var memoryBytes: UInt64 {
            128 * UInt64(r) * ((UInt64(1) << UInt64(logN)) + 2) + 128 * UInt64(r) * UInt64(p)
        }

        /// `ln=17,r=8,p=1`.
        public var description: String { "ln=\(logN),r=\(r),p=\(p)" }

        /// Checks 1 ≤ logN ≤ 24, 1 ≤ r ≤ 32, 1 ≤ p ≤ 16 and memory ≤ 4 GiB, so a stored string
        /// cannot make `verify` exhaust the machine.
        public func validate() throws(CryptographyError) {
            guard (1...24).contains(logN), (1...32).contains(r), (1...16).contains(p),
                memoryBytes <= 4 << 30
            else {
                throw CryptographyError(.invalidParameters, "scrypt parameters out of range")
            }
        }
    }

    /// The parameters new hashes are made with.
    public let parameters: Parameters
    /// Salt length in bytes.
    public static let saltByteCount = 16
    /// Derived hash length in bytes.
    public static let hashByteCount = 32

    /// Creates a hasher for `parameters` (OWASP's minimum by default).
    ///
    /// - Throws: `CryptographyError` with code `invalidParameters` when out of range.
    public init(parameters: Parameters = .owaspMinimum) throws(CryptographyError) {
        try parameters.validate()
        self.parameters = parameters
    }

    /// Hashes `password` with a fresh random salt; returns the encoded string to store.
    ///
    /// This blocks for the whole derivation (about 0.3 s at OWASP's minimum): call it off
    /// any event loop.
    public func hash(_ password: String) throws(CryptographyError) -> String {
        let salt = SecureRandom.bytes(count: Self.saltByteCount)
        let derived = try Self.scrypt(
            password: Array(password.utf8), salt: salt, parameters: parameters, length: Self.hashByteCount)
        return PasswordHash(parameters: parameters, salt: salt, hash: derived).encoded
    }

    /// Whether `password` matches the encoded string, compared in constant time; the
    /// parameters come from the string itself.
    ///
    /// - Throws: `CryptographyError` with code `malformedPasswordHash` for a string not in the
    ///   documented format, `invalidParameters` when its parameters are out of range. A wrong
    ///   password is `false`, not an error.
    public func verify(_ password: String, against encoded: String) throws(CryptographyError) -> Bool {
        let stored = try PasswordHash(encoded: encoded)
        let derived = try Self.scrypt(
            password: Array(password.utf8), salt: stored.salt, parameters: stored.parameters,
            length: stored.hash.count)
        return ConstantTime.equals(derived, stored.hash)
    }

    /// Whether a stored string was made with parameters other than this hasher's (or is not
    /// readable at all), so the caller should store `hash(password)` after a successful login.
    public func needsRehash(_ encoded: String) -> Bool {
        Self.needsRehash(encoded, for: parameters)
    }

    /// Whether a stored string was made with parameters other than `currentParameters` (or is
    /// not readable at all).
    public static func needsRehash(_ encoded: String, for currentParameters: Parameters) -> Bool {
        guard let stored = try? PasswordHash(encoded: encoded) else { return true }
        return stored.parameters != currentParameters || stored.salt.count != saltByteCount
            || stored.hash.count != hashByteCount
    }

    /// Raw scrypt (RFC 7914): derives `length` bytes.
    public static func scrypt(
        password: [UInt8], salt: [UInt8], parameters: Parameters, length: Int
    ) throws(CryptographyError) -> [UInt8] {
        try parameters.validate()
        guard (1...1024).contains(length) else {
            throw CryptographyError(.invalidInput, "scrypt output length out of range")
        }
        var output = [UInt8](repeating: 0, count: length)
        // OpenSSL refuses unless maxmem covers what it needs; give it a little headroom.
        let maxMemory = parameters.memoryBytes + 1 << 20
        let status = password.withNonNullBytes { passwordPointer, passwordCount in
            salt.withNonNullBytes { saltPointer, saltCount in
                EVP_PBE_scrypt(
                    passwordPointer.assumingMemoryBound(to: CChar.self), passwordCount,
                    saltPointer.assumingMemoryBound(to: UInt8.self), saltCount,
                    UInt64(1) << UInt64(parameters.logN), UInt64(parameters.r), UInt64(parameters.p),
                    maxMemory, &output, length)
            }
        }
        guard status == 1 else {
            ERR_clear_error()
            throw CryptographyError(.openSSLFailure, "scrypt derivation failed")
        }
        return output
    }
}
