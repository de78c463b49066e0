/// A value encrypted by `KeyRing`, in a self-describing binary form.
///
/// Layout, byte by byte:
///
/// | offset | length | field |
/// | --- | --- | --- |
/// | 0 | 1 | format version, `0x01` |
/// | 1 | 1 | key id length `L` (1…64) |
/// | 2 | `L` | key id, ASCII `[A-Za-z0-9._-]` |
/// | 2+L | 12 | nonce (random per seal) |
/// | 14+L | n | AES-256-GCM ciphertext (as long as the plaintext) |
/// | 14+L+n | 16 | GCM tag |
///
/// The GCM associated data is the header (bytes `0 ..< 2+L`) followed by the caller's
/// associated data, so changing the version or key id also fails authentication.
/// The text form (for `TEXT` columns) is the whole thing in padded standard base64.
public struct SealedValue: Sendable, Equatable {
    /// The current format version.
    public static let currentVersion: UInt8 = 1

    /// The key id the value was sealed with.
    public let keyID: String
    /// The 12-byte nonce.
    public let nonce: [UInt8]
    /// The ciphertext.
    public let ciphertext: [UInt8]
    /// The 16-byte authentication tag.
    public let tag: [UInt8]

    init(keyID: String, nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.keyID = keyID
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }

    /// Parses the binary form.
    ///
    /// - Throws: `CryptographyError` with code `malformedSealedValue` for an unknown version,
    ///   a bad key id or a value too short to hold nonce and tag.
    public init(bytes: some Collection<UInt8>) throws(CryptographyError) {
        let bytes = Array(bytes)
        guard bytes.count >= 2, bytes[0] == Self.currentVersion else {
            throw CryptographyError(.malformedSealedValue, "unknown sealed value version")
        }
        let keyIDLength = Int(bytes[1])
        let headerLength = 2 + keyIDLength
        guard bytes.count >= headerLength + AES256GCM.nonceByteCount + AES256GCM.tagByteCount else {
            throw CryptographyError(.malformedSealedValue, "sealed value is truncated")
        }
        let keyIDBytes = Array(bytes[2..<headerLength])
        guard KeyRing.isValidKeyID(keyIDBytes) else {
            throw CryptographyError(.malformedSealedValue, "sealed value has an invalid key id")
        }
        let nonceEnd = headerLength + AES256GCM.nonceByteCount
        let tagStart = bytes.count - AES256GCM.tagByteCount
        self.keyID = String(decoding: keyIDBytes, as: UTF8.self)
        self.nonce = Array(bytes[headerLength..<nonceEnd])
        self.ciphertext = Array(bytes[nonceEnd..<tagStart])
        self.tag = Array(bytes[tagStart...])
    }

    /// Parses the base64 text form.
    ///
    /// - Throws: `CryptographyError` with code `malformedSealedValue`.
    public init(text: String) throws(CryptographyError) {
        let bytes: [UInt8]
        do {
            bytes = try Base64.decode(text)
        } catch {
            throw CryptographyError(.malformedSealedValue, "sealed value is not base64")
        }
        try self.init(bytes: bytes)
    }

    /// The header (version, key id length, key id): authenticated as associated data.
    var header: [UInt8] {
        [Self.currentVersion, UInt8(keyID.utf8.count)] + Array(keyID.utf8)
    }

    /// The binary form.
    public var bytes: [UInt8] { header + nonce + ciphertext + tag }

    /// The text form: padded standard base64 of `bytes`.
    public var text: String { Base64.encode(bytes) }
}
