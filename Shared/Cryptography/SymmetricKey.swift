/// A 256-bit secret key for AES-256-GCM.
///
/// Its `description` is redacted, so a key that ends up in a log line or an error shows no
/// secret material.
public struct SymmetricKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key length in bytes (32).
    public static let byteCount = 32

    /// The raw key bytes; handle with care.
    public let bytes: [UInt8]

    /// Wraps 32 raw key bytes.
    ///
    /// - Throws: `CryptographyError` with code `invalidKey` for any other length.
    public init(bytes: some Collection<UInt8>) throws(CryptographyError) {
        guard bytes.count == Self.byteCount else {
            throw CryptographyError(.invalidKey, "an AES-256 key must be 32 bytes")
        }
        self.bytes = Array(bytes)
    }

    /// Decodes a key given as base64 (standard or url-safe, padded or not).
    ///
    /// - Throws: `CryptographyError` with code `invalidKey` when the text is not base64 or
    ///   does not decode to 32 bytes.
    public init(base64 text: String) throws(CryptographyError) {
        let decoded: [UInt8]
        do {
            decoded = try Base64.decode(text)
        } catch {
            throw CryptographyError(.invalidKey, "an AES-256 key must be 32 bytes in base64")
        }
        try self.init(bytes: decoded)
    }

    /// A fresh random key from `RAND_bytes`.
    public static func generate() -> SymmetricKey {
        // Exactly 32 bytes, so the initialiser cannot fail.
        try! SymmetricKey(bytes: SecureRandom.bytes(count: byteCount))
    }

    /// The key as padded standard base64, the form `SMARTERCHAT_ENCRYPTION_KEYS` takes.
    public var base64: String { Base64.encode(bytes) }

    /// Constant-time equality.
    public static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool {
        ConstantTime.equals(lhs.bytes, rhs.bytes)
    }

    /// Always `SymmetricKey(<redacted>)`.
    public var description: String { "SymmetricKey(<redacted>)" }
    /// Always `SymmetricKey(<redacted>)`.
    public var debugDescription: String { description }
}
