import Testing

@testable import Cryptography

@Suite("HOTP (RFC 4226) and TOTP (RFC 6238)")
struct OneTimePasswordTests {
    static let seed = Array("12345678901234567890".utf8)

    /// RFC 4226 Appendix D: HOTP values for counters 0…9.
    static let hotpValues = [
        "755224", "287082", "359152", "969429", "338314",
        "254676", "287922", "162583", "399871", "520489",
    ]

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, the 20-byte ASCII seed).
    static let totpSHA1: [(Int64, String)] = [
        (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ]

    @Test("HOTP matches RFC 4226 Appendix D", arguments: 0..<10)
    func hotp(counter: Int) {
        #expect(HOTP.code(secret: Self.seed, counter: UInt64(counter)) == Self.hotpValues[counter])
    }

    @Test("TOTP SHA-1 matches RFC 6238 Appendix B", arguments: totpSHA1)
    func totp(time: Int64, expected: String) throws {
        let totp = try TOTP(secret: Self.seed, digits: 8)
        #expect(totp.code(at: time) == expected)
        // The 6-digit code is the last six digits of the 8-digit one.
        #expect(try TOTP(secret: Self.seed).code(at: time) == String(expected.suffix(6)))
    }

    @Test("TOTP SHA-256 and SHA-512 match RFC 6238 with their longer seeds")
    func totpOtherHashes() throws {
        let sha256 = try TOTP(secret: Array("12345678901234567890123456789012".utf8), algorithm: .sha256, digits: 8)
        #expect(sha256.code(at: 59) == "46119246")
        #expect(sha256.code(at: 20_000_000_000) == "77737706")
        let seed64 = Array((String(repeating: "1234567890", count: 6) + "1234").utf8)
        let sha512 = try TOTP(secret: seed64, algorithm: .sha512, digits: 8)
        #expect(sha512.code(at: 59) == "90693936")
        #expect(sha512.code(at: 1_111_111_111) == "99943326")
    }

    @Test("the base32 seed gives the same codes as the raw one")
    func base32Secret() throws {
        let totp = try TOTP(base32Secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(totp.secret == Self.seed)
        #expect(totp.code(at: 1_234_567_890) == "005924")
    }

    @Test("verify accepts the current step and one step either side, returning the step")
    func verifyDrift() throws {
        let totp = try TOTP(secret: Self.seed)
        let now: Int64 = 1_111_111_111  // step 37037037
        let step = totp.step(at: now)
        #expect(totp.verify(totp.code(forStep: step), at: now) == step)
        #expect(totp.verify(totp.code(forStep: step - 1), at: now) == step - 1)
        #expect(totp.verify(totp.code(forStep: step + 1), at: now) == step + 1)
        #expect(totp.verify(totp.code(forStep: step - 2), at: now) == nil)
        #expect(totp.verify(totp.code(forStep: step + 2), at: now) == nil)
        #expect(totp.verify(totp.code(forStep: step - 2), at: now, drift: 2) == step - 2)
        #expect(totp.verify("050 471", at: now) == step)
    }

    @Test("verify refuses a step already used, so a code cannot be replayed")
    func verifyReplay() throws {
        let totp = try TOTP(secret: Self.seed)
        let now: Int64 = 2_000_000_000
        let code = totp.code(at: now)
        let used = try #require(totp.verify(code, at: now))
        #expect(totp.verify(code, at: now, after: used) == nil)
        #expect(totp.verify(code, at: now + 10, after: used) == nil)
        #expect(totp.verify(totp.code(forStep: used + 1), at: now + 30, after: used) == used + 1)
    }

    @Test("verify refuses malformed codes", arguments: ["", "12345", "1234567", "abcdef", "28708２"])
    func verifyMalformed(code: String) throws {
        #expect(try TOTP(secret: Self.seed).verify(code, at: 59) == nil)
    }

    @Test("short secrets and odd digit counts are refused")
    func invalidConfiguration() {
        #expect(throws: CryptographyError.self) { try TOTP(secret: [1, 2, 3]) }
        #expect(throws: CryptographyError.self) { try TOTP(secret: Self.seed, digits: 4) }
        #expect(throws: CryptographyError.self) { try TOTP(secret: Self.seed, period: 0) }
    }

    @Test("the otpauth URI follows the Key URI format with an encoded label")
    func provisioningURI() throws {
        let totp = try TOTP(secret: Self.seed)
        #expect(
            totp.provisioningURI(issuer: "SmarterChat", account: "ana@empresa.com.br")
                == "otpauth://totp/SmarterChat:ana%40empresa.com.br?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                + "&issuer=SmarterChat&algorithm=SHA1&digits=6&period=30")
        #expect(
            totp.provisioningURI(issuer: "Loja São João", account: "x").hasPrefix(
                "otpauth://totp/Loja%20S%C3%A3o%20Jo%C3%A3o:x?"))
    }

    @Test("generated secrets are 20 random bytes and work round trip through base32")
    func generatedSecret() throws {
        let secret = TOTP.generateSecret()
        #expect(secret.count == 20)
        let totp = try TOTP(base32Secret: Base32.encode(secret))
        #expect(totp.verify(totp.code(at: 1_700_000_000), at: 1_700_000_000) != nil)
    }
}
