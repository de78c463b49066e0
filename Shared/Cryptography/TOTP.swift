#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time-based one-time passwords (RFC 6238): HOTP over the number of `period`-second steps
/// since the Unix epoch. Defaults are what authenticator apps expect: HMAC-SHA1, 30 seconds,
/// 6 digits.
///
/// Replay protection is the caller's part: `verify` returns the step that matched; store the
/// last accepted step per user and pass it as `after:` next time, so a code is accepted once.
public struct TOTP: Sendable {
    /// The shared secret (20 bytes recommended for SHA-1).
    public let secret: [UInt8]
    /// The HMAC hash function.
    public let algorithm: Digest.Algorithm
    /// The number of digits in a code.
    public let digits: Int
    /// Step length in seconds.
    public let period: Int

    /// Creates a TOTP generator/verifier.
    ///
    /// - Throws: `CryptographyError` with code `invalidInput` for a secret shorter than
    ///   10 bytes (80 bits), digits outside 6…10 or a period outside 1…300 seconds.
    public init(
        secret: [UInt8], algorithm: Digest.Algorithm = .sha1, digits: Int = 6, period: Int = 30
    ) throws(CryptographyError) {
        guard secret.count >= 10 else {
            throw CryptographyError(.invalidInput, "a TOTP secret must be at least 10 bytes")
        }
        guard (6...10).contains(digits), (1...300).contains(period) else {
            throw CryptographyError(.invalidInput, "TOTP digits must be 6-10 and the period 1-300 s")
        }
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// Creates a TOTP from a base32 secret as users type it (any case, spaces allowed).
    public init(
        base32Secret: String, algorithm: Digest.Algorithm = .sha1, digits: Int = 6, period: Int = 30
    )
        throws(CryptographyError)
    {
        try self.init(secret: Base32.decode(base32Secret), algorithm: algorithm, digits: digits, period: period)
    }

    /// A fresh random secret of `byteCount` bytes (20 by default, 160 bits as RFC 4226 advises).
    public static func generateSecret(byteCount: Int = 20) -> [UInt8] {
        SecureRandom.bytes(count: byteCount)
    }

    /// The current Unix time in whole seconds.
    public static func now() -> Int64 {
        Int64(time(nil))
    }

    /// The step number containing `unixTime` (negative times map to step 0).
    public func step(at unixTime: Int64) -> UInt64 {
        unixTime <= 0 ? 0 : UInt64(unixTime) / UInt64(period)
    }

    /// The code for a step.
    public func code(forStep step: UInt64) -> String {
        HOTP.code(secret: secret, counter: step, digits: digits, algorithm: algorithm)
    }

    /// The code valid at `unixTime` (now by default).
    public func code(at unixTime: Int64 = TOTP.now()) -> String {
        code(forStep: step(at: unixTime))
    }

    /// Checks `code` against the steps from `drift` before to `drift` after the one containing
    /// `unixTime`, and returns the matched step or `nil`.
    ///
    /// Steps at or before `after` (the last step this user already used) never match, which
    /// refuses replays. Spaces in `code` are ignored; every candidate is compared in constant
    /// time.
    public func verify(
        _ code: String, at unixTime: Int64 = TOTP.now(), drift: Int = 1, after lastUsedStep: UInt64? = nil
    ) -> UInt64? {
        let typed = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
        guard typed.count == digits, typed.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            drift >= 0
        else { return nil }
        let center = step(at: unixTime)
        var matched: UInt64?
        for offset in -drift...drift {
            guard
                let candidate = offset < 0
                    ? center.subtractingIfPossible(UInt64(-offset))
                    : center.addingIfPossible(UInt64(offset))
            else { continue }
            if let lastUsedStep, candidate <= lastUsedStep { continue }
            // Compare every candidate, so timing does not reveal which step matched.
            if ConstantTime.equals(Array(self.code(forStep: candidate).utf8), typed), matched == nil {
                matched = candidate
            }
        }
        return matched
    }

    /// The Key URI authenticator apps read from a QR code:
    /// `otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30`.
    public func provisioningURI(issuer: String, account: String) -> String {
        let label = "\(Self.percentEncoded(issuer)):\(Self.percentEncoded(account))"
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(Self.percentEncoded(issuer))"
            + "&algorithm=\(algorithm.rawValue)&digits=\(digits)&period=\(period)"
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return output
    }
}

extension UInt64 {
    fileprivate func subtractingIfPossible(_ other: UInt64) -> UInt64? {
        let (result, overflow) = subtractingReportingOverflow(other)
        return overflow ? nil : result
    }

    fileprivate func addingIfPossible(_ other: UInt64) -> UInt64? {
        let (result, overflow) = addingReportingOverflow(other)
        return overflow ? nil : result
    }
}
