import CLibCrypto

/// The encryption keys for secrets at rest: a current key that seals, and older keys that
/// still open what they sealed, each under a short key id.
///
/// Built from `SMARTERCHAT_ENCRYPTION_KEYS`, `"k1:<base64 key>,k0:<base64 key>"`: the first
/// entry is the current key. To rotate, put a new key first, keep the old ones, re-seal stored
/// values with `reseal(_:associatedData:)` (or when they are next written), and drop an old key
/// only once nothing sealed with it remains (`needsResealing(_:)` tells).
///
/// Associated data binds a ciphertext to its place, e.g. `"agents.openai_api_key:<agent id>"`,
/// so a value copied into another row does not open there.
public struct KeyRing: Sendable {
    /// The id of the key that seals.
    public let currentKeyID: String
    private let keys: [String: SymmetricKey]

    /// The ids of every key held, sorted.
    public var keyIDs: [String] { keys.keys.sorted() }

    /// Creates a key ring from keys by id.
    ///
    /// - Throws: `CryptographyError` with code `invalidKeyRing` when `currentKeyID` is not in
    ///   `keys` or a key id is not 1–64 characters of `[A-Za-z0-9._-]`.
    public init(currentKeyID: String, keys: [String: SymmetricKey]) throws(CryptographyError) {
        guard keys[currentKeyID] != nil else {
            throw CryptographyError(.invalidKeyRing, "the current key id has no key")
        }
        for keyID in keys.keys where !Self.isValidKeyID(Array(keyID.utf8)) {
            throw CryptographyError(.invalidKeyRing, "a key id must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        self.currentKeyID = currentKeyID
        self.keys = keys
    }

    /// Parses `"k1:<base64>,k0:<base64>"`; the first entry is the current key. Spaces around
    /// entries are ignored.
    ///
    /// - Throws: `CryptographyError` with code `invalidKeyRing` for an empty string, an entry
    ///   without `:`, a duplicate id, or a key that is not 32 bytes of base64. The message
    ///   names the entry's position, never its content.
    public init(configuration: String) throws(CryptographyError) {
        var keys: [String: SymmetricKey] = [:]
        var current: String?
        let entries = configuration.split(separator: ",", omittingEmptySubsequences: true)
        for (position, entry) in entries.enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1)
            let keyID = parts.first.map { String($0).trimmingSpaces() } ?? ""
            guard parts.count == 2, !keyID.isEmpty else {
                throw CryptographyError(.invalidKeyRing, "key entry \(position + 1) is not <id>:<base64 key>")
            }
            guard keys[keyID] == nil else {
                throw CryptographyError(.invalidKeyRing, "key entry \(position + 1) repeats a key id")
            }
            do {
                keys[keyID] = try SymmetricKey(base64: String(parts[1]).trimmingSpaces())
            } catch {
                throw CryptographyError(.invalidKeyRing, "key entry \(position + 1) is not 32 bytes of base64")
            }
            current = current ?? keyID
        }
        guard let current else {
            throw CryptographyError(.invalidKeyRing, "no encryption key configured")
        }
        try self.init(currentKeyID: current, keys: keys)
    }

    /// Seals `plaintext` with the current key and a fresh nonce.
    public func seal(
        _ plaintext: some Collection<UInt8>, associatedData: some Collection<UInt8> = [UInt8]()
    ) throws(CryptographyError) -> SealedValue {
        let key = keys[currentKeyID]!  // init guarantees the current key exists
        let header = SealedValue(keyID: currentKeyID, nonce: [], ciphertext: [], tag: []).header
        let (nonce, ciphertext, tag) = try AES256GCM.seal(
            plaintext, key: key, associatedData: header + Array(associatedData))
        return SealedValue(keyID: currentKeyID, nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// Opens a sealed value with the key it names.
    ///
    /// - Throws: `CryptographyError` with code `unknownKeyID` when this ring lacks the key,
    ///   `authenticationFailed` when the value or the associated data was changed.
    public func open(
        _ sealed: SealedValue, associatedData: some Collection<UInt8> = [UInt8]()
    ) throws(CryptographyError) -> [UInt8] {
        guard let key = keys[sealed.keyID] else {
            throw CryptographyError(.unknownKeyID, "the sealed value names a key id this key ring does not hold")
        }
        return try AES256GCM.open(
            ciphertext: sealed.ciphertext, nonce: sealed.nonce, tag: sealed.tag, key: key,
            associatedData: sealed.header + Array(associatedData))
    }

    /// Seals a UTF-8 string and returns the base64 text form, for a `TEXT` column.
    public func sealText(_ plaintext: String, associatedData: String = "") throws(CryptographyError) -> String {
        try seal(Array(plaintext.utf8), associatedData: Array(associatedData.utf8)).text
    }

    /// Opens the base64 text form made by `sealText(_:associatedData:)`.
    ///
    /// - Throws: `CryptographyError` (`malformedSealedValue`, `unknownKeyID`,
    ///   `authenticationFailed`, or `invalidEncoding` when the plaintext is not UTF-8).
    public func openText(_ text: String, associatedData: String = "") throws(CryptographyError) -> String {
        let bytes = try open(SealedValue(text: text), associatedData: Array(associatedData.utf8))
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw CryptographyError(.invalidEncoding, "the opened value is not UTF-8 text")
        }
        return string
    }

    /// Whether `sealed` was sealed with a key other than the current one.
    public func needsResealing(_ sealed: SealedValue) -> Bool {
        sealed.keyID != currentKeyID
    }

    /// Opens `sealed` and seals it again with the current key (and a new nonce), for rotation.
    public func reseal(
        _ sealed: SealedValue, associatedData: some Collection<UInt8> = [UInt8]()
    ) throws(CryptographyError) -> SealedValue {
        let associatedData = Array(associatedData)
        var plaintext = try open(sealed, associatedData: associatedData)
        defer { plaintext.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        return try seal(plaintext, associatedData: associatedData)
    }

    static func isValidKeyID(_ bytes: [UInt8]) -> Bool {
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" || $0 == "\n" }
        let trimmed = scalars.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed()
        return String(String.UnicodeScalarView(trimmed))
    }
}
