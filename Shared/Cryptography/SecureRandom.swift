import CLibCrypto

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
public enum SecureRandom {
    /// Returns `count` random bytes.
    ///
    /// OpenSSL's DRBG only fails when it cannot be seeded, which leaves no safe way to go on
    /// (every key, nonce and salt would be predictable): that stops the process.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "a negative byte count")
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // RAND_bytes takes an Int32 length; ask in chunks so any count works.
            var offset = 0
            while offset < count {
                let chunk = min(count - offset, Int(Int32.max))
                guard RAND_bytes(buffer.baseAddress! + offset, Int32(chunk)) == 1 else {
                    fatalError("OpenSSL RAND_bytes failed: the random generator is not seeded")
                }
                offset += chunk
            }
            initialized = count
        }
    }

    /// Returns an unguessable token: `byteCount` random bytes (32 by default, 256 bits) as
    /// unpadded base64url (43 characters for 32 bytes), for session ids, API keys and the like.
    public static func token(byteCount: Int = 32) -> String {
        Base64.encodeURL(bytes(count: byteCount))
    }
}
