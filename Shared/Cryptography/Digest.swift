import CLibCrypto

/// SHA-256 and HMAC (RFC 2104) over OpenSSL's one-shot functions.
public enum Digest {
    /// A hash function HMAC can be built on.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// SHA-1: 20-byte output; for TOTP and legacy interoperability only.
        case sha1 = "SHA1"
        /// SHA-256: 32-byte output.
        case sha256 = "SHA256"
        /// SHA-512: 64-byte output.
        case sha512 = "SHA512"

        /// Output length in bytes.
        public var byteCount: Int {
            switch self {
            case .sha1: 20
            case .sha256: 32
            case .sha512: 64
            }
        }

        /// The provider's implementation, fetched once: OpenSSL 3 looks a legacy `EVP_sha256()`
        /// up again on every use (2.5 times the cost of a 43-byte hash here).
        var evp: OpaquePointer {
            switch self {
            case .sha1: Fetched.all.sha1
            case .sha256: Fetched.all.sha256
            case .sha512: Fetched.all.sha512
            }
        }
    }

    /// The digests fetched from the default provider, kept for the life of the process.
    private struct Fetched: @unchecked Sendable {
        let sha1: OpaquePointer
        let sha256: OpaquePointer
        let sha512: OpaquePointer

        static let all = Fetched(
            sha1: EVP_MD_fetch(nil, "SHA1", nil) ?? EVP_sha1(),
            sha256: EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256(),
            sha512: EVP_MD_fetch(nil, "SHA512", nil) ?? EVP_sha512())
    }

    /// SHA-256 of `data` (32 bytes).
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        hash(.sha256, data)
    }

    /// The hash of `data` with `algorithm`.
    public static func hash(_ algorithm: Algorithm, _ data: some Collection<UInt8>) -> [UInt8] {
        if let digest = data.withContiguousStorageIfAvailable({ hash(algorithm, UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(data).withUnsafeBytes { hash(algorithm, $0) }
    }

    private static func hash(_ algorithm: Algorithm, _ input: UnsafeRawBufferPointer) -> [UInt8] {
        var placeholder: UInt8 = 0
        return [UInt8](unsafeUninitializedCapacity: algorithm.byteCount) { output, count in
            var length: UInt32 = 0
            // Some OpenSSL functions reject a NULL buffer even when its length is zero.
            let status = withUnsafePointer(to: &placeholder) { empty in
                EVP_Digest(
                    input.baseAddress ?? UnsafeRawPointer(empty), input.count, output.baseAddress, &length,
                    algorithm.evp, nil)
            }
            // EVP_Digest fails only on allocation failure or a disabled algorithm.
            precondition(status == 1 && Int(length) == algorithm.byteCount, "OpenSSL EVP_Digest failed")
            count = Int(length)
        }
    }

    /// HMAC of `message` under `key` with `algorithm` (HMAC-SHA256 by default).
    public static func hmac(
        _ algorithm: Algorithm = .sha256, key: some Collection<UInt8>, message: some Collection<UInt8>
    ) -> [UInt8] {
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = keyBytes.withNonNullBytes { keyPointer, keyCount in
            messageBytes.withNonNullBytes { messagePointer, messageCount in
                HMAC(
                    algorithm.evp, keyPointer, Int32(keyCount), messagePointer.assumingMemoryBound(to: UInt8.self),
                    messageCount, &output, &length)
            }
        }
        precondition(result != nil, "OpenSSL HMAC failed")
        return Array(output[0..<Int(length)])
    }

    /// HMAC-SHA256 of a UTF-8 `message` under a UTF-8 `key`, e.g. a webhook signature.
    public static func hmacSHA256(key: String, message: String) -> [UInt8] {
        hmac(.sha256, key: Array(key.utf8), message: Array(message.utf8))
    }
}

extension Array where Element == UInt8 {
    /// Calls `body` with a pointer that is never nil, even for an empty array: some OpenSSL
    /// functions reject a NULL buffer even when its length is zero.
    func withNonNullBytes<R>(_ body: (UnsafeRawPointer, Int) throws -> R) rethrows -> R {
        if isEmpty {
            var placeholder: UInt8 = 0
            return try withUnsafePointer(to: &placeholder) { try body(UnsafeRawPointer($0), 0) }
        }
        return try withUnsafeBytes { try body($0.baseAddress!, $0.count) }
    }
}
