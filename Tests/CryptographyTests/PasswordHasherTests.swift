import Testing

@testable import Cryptography

/// One RFC 7914 §12 scrypt vector.
struct ScryptVector: Sendable, CustomTestStringConvertible {
    let password: String
    let salt: String
    let parameters: PasswordHasher.Parameters
    let expected: String

    var testDescription: String { "N=2^\(parameters.logN), r=\(parameters.r), p=\(parameters.p)" }
}

@Suite("scrypt password hashing")
struct PasswordHasherTests {
    /// RFC 7914 §12; the N=1048576 vector is left out (about 1 GiB and seconds of CPU).
    static let vectors: [ScryptVector] = [
        ScryptVector(
            password: "", salt: "", parameters: .init(logN: 4, r: 1, p: 1),
            expected: "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"),
        ScryptVector(
            password: "password", salt: "NaCl", parameters: .init(logN: 10, r: 8, p: 16),
            expected: "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"),
        ScryptVector(
            password: "pleaseletmein", salt: "SodiumChloride", parameters: .init(logN: 14, r: 8, p: 1),
            expected: "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
                + "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"),
    ]

    @Test("raw scrypt matches RFC 7914", arguments: vectors)
    func rfc7914(vector: ScryptVector) throws {
        let derived = try PasswordHasher.scrypt(
            password: Array(vector.password.utf8), salt: Array(vector.salt.utf8), parameters: vector.parameters,
            length: 64)
        #expect(Hex.encode(derived) == vector.expected)
    }

    @Test("a hash string records its parameters and verifies the right password only")
    func hashAndVerify() throws {
        let hasher = try PasswordHasher(parameters: .testing)
        let encoded = try hasher.hash("correct horse battery staple")
        #expect(encoded.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        let fields = encoded.split(separator: "$")
        #expect(fields.count == 4)
        #expect(try Base64.decode(String(fields[2])).count == 16)
        #expect(try Base64.decode(String(fields[3])).count == 32)
        #expect(try hasher.verify("correct horse battery staple", against: encoded))
        #expect(try !hasher.verify("correct horse battery stapl", against: encoded))
        #expect(try !hasher.verify("", against: encoded))
    }

    @Test("the same password hashes differently each time (random salt)")
    func saltIsRandom() throws {
        let hasher = try PasswordHasher(parameters: .testing)
        #expect(try hasher.hash("senha123") != hasher.hash("senha123"))
    }

    @Test("unicode passwords hash by their UTF-8 bytes")
    func unicode() throws {
        let hasher = try PasswordHasher(parameters: .testing)
        let encoded = try hasher.hash("ação-çã-🔑")
        #expect(try hasher.verify("ação-çã-🔑", against: encoded))
        #expect(try !hasher.verify("acao-ca-🔑", against: encoded))
    }

    @Test("verify uses the stored parameters, and needsRehash flags weaker ones")
    func upgrade() throws {
        let weak = try PasswordHasher(parameters: .init(logN: 8, r: 8, p: 1))
        let current = try PasswordHasher(parameters: .testing)
        let old = try weak.hash("hunter2")
        #expect(try current.verify("hunter2", against: old))
        #expect(current.needsRehash(old))
        #expect(!weak.needsRehash(old))
        let upgraded = try current.hash("hunter2")
        #expect(!current.needsRehash(upgraded))
        #expect(current.needsRehash("$2b$10$not-a-scrypt-hash"))
        #expect(PasswordHasher.needsRehash(old, for: .testing))
        #expect(!PasswordHasher.needsRehash(upgraded, for: .testing))
    }

    @Test("a known hash string from the format verifies (stable format)")
    func knownString() throws {
        // Built from the RFC 7914 N=16 vector: empty password, salt "saltsalt".
        let salt = Array("saltsalt".utf8)
        let derived = try PasswordHasher.scrypt(
            password: Array("pw".utf8), salt: salt, parameters: .init(logN: 4, r: 1, p: 1), length: 32)
        let encoded =
            "$scrypt$ln=4,r=1,p=1$\(Base64.encode(salt, padded: false))$\(Base64.encode(derived, padded: false))"
        let hasher = try PasswordHasher(parameters: .testing)
        #expect(try hasher.verify("pw", against: encoded))
        #expect(try !hasher.verify("px", against: encoded))
    }

    @Test(
        "malformed or abusive hash strings are errors, not matches",
        arguments: [
            "", "plain", "$scrypt$", "$scrypt$ln=10,r=8$c2FsdHNhbHQ$aGFzaA",
            "$scrypt$ln=10,r=8,p=1$!!$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=10,r=8,p=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        ])
    func malformed(encoded: String) throws {
        let hasher = try PasswordHasher(parameters: .testing)
        #expect(throws: CryptographyError.self) { try hasher.verify("x", against: encoded) }
    }

    @Test("OWASP's minimum (N=2^17, r=8: 128 MiB) works, so maxmem is raised past OpenSSL's 32 MiB default")
    func owaspMinimum() throws {
        let hasher = try PasswordHasher()
        #expect(hasher.parameters == .owaspMinimum)
        let encoded = try hasher.hash("senha-forte")
        #expect(encoded.hasPrefix("$scrypt$ln=17,r=8,p=1$"))
        #expect(try hasher.verify("senha-forte", against: encoded))
        #expect(!hasher.needsRehash(encoded))
    }

    @Test("parameters outside the safe range are refused")
    func parameterRange() {
        #expect(throws: CryptographyError.self) { try PasswordHasher(parameters: .init(logN: 0, r: 8, p: 1)) }
        #expect(throws: CryptographyError.self) { try PasswordHasher(parameters: .init(logN: 25, r: 8, p: 1)) }
        #expect(PasswordHasher.Parameters.owaspMinimum.memoryBytes == 134_220_800)
    }
}
