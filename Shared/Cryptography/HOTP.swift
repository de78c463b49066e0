/// HMAC-based one-time passwords (RFC 4226), the core TOTP is built on.
public enum HOTP {
    /// The code for `counter`: HMAC of the 8-byte big-endian counter under `secret`, dynamic
    /// truncation (RFC 4226 §5.3), reduced to `digits` decimal digits with leading zeros.
    ///
    /// - Precondition: `digits` is 6…10 (10 digits already cover every 31-bit value).
    public static func code(
        secret: [UInt8], counter: UInt64, digits: Int = 6, algorithm: Digest.Algorithm = .sha1
    ) -> String {
        precondition((6...10).contains(digits), "an OTP has 6 to 10 digits")
        var message = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 {
            message[index] = UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * index))
        }
        let mac = Digest.hmac(algorithm, key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            (UInt32(mac[offset]) & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16
            | UInt32(mac[offset + 2]) << 8 | UInt32(mac[offset + 3])
        var modulus: UInt64 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = UInt64(binary) % modulus
        let text = String(value)
        return String(repeating: "0", count: digits - text.count) + text
    }
}
