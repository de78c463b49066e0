import CLibCrypto

/// Comparisons whose running time does not depend on where two secrets differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, compared with `CRYPTO_memcmp`.
    ///
    /// The time depends only on the lengths, which are not secret for MACs, hashes and tokens
    /// of a fixed size; inputs of different lengths answer `false` at once.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let left = Array(a)
        let right = Array(b)
        guard left.count == right.count else { return false }
        guard !left.isEmpty else { return true }
        return left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in
                CRYPTO_memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0
            }
        }
    }

    /// Whether two strings hold the same UTF-8 bytes, compared in constant time.
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
