import Testing

@testable import Cryptography

/// One HMAC known-answer case.
struct HMACVector: Sendable, CustomTestStringConvertible {
    let name: String
    let key: [UInt8]
    let data: [UInt8]
    let expected: String
    /// Compare only this many leading bytes (RFC 4231 case 5 truncates to 128 bits).
    var truncatedTo: Int? = nil

    var testDescription: String { name }
}

@Suite("SHA-256, HMAC, constant-time comparison and random bytes")
struct DigestTests {
    /// RFC 4231 §4.2–4.8, HMAC-SHA-256.
    static let rfc4231: [HMACVector] = [
        HMACVector(
            name: "RFC 4231 case 1", key: Array(repeating: 0x0B, count: 20), data: Array("Hi There".utf8),
            expected: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        HMACVector(
            name: "RFC 4231 case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
            expected: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        HMACVector(
            name: "RFC 4231 case 3", key: Array(repeating: 0xAA, count: 20), data: Array(repeating: 0xDD, count: 50),
            expected: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        HMACVector(
            name: "RFC 4231 case 4", key: Array(1...25), data: Array(repeating: 0xCD, count: 50),
            expected: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        HMACVector(
            name: "RFC 4231 case 5 (truncated to 128 bits)", key: Array(repeating: 0x0C, count: 20),
            data: Array("Test With Truncation".utf8), expected: "a3b6167473100ee06e0c796c2955552b", truncatedTo: 16),
        HMACVector(
            name: "RFC 4231 case 6", key: Array(repeating: 0xAA, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            expected: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        HMACVector(
            name: "RFC 4231 case 7", key: Array(repeating: 0xAA, count: 131),
            data: Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            expected: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    /// RFC 2202 §3, HMAC-SHA-1.
    static let rfc2202: [HMACVector] = [
        HMACVector(
            name: "RFC 2202 case 1", key: Array(repeating: 0x0B, count: 20), data: Array("Hi There".utf8),
            expected: "b617318655057264e28bc0b6fb378c8ef146be00"),
        HMACVector(
            name: "RFC 2202 case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
            expected: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        HMACVector(
            name: "RFC 2202 case 3", key: Array(repeating: 0xAA, count: 20), data: Array(repeating: 0xDD, count: 50),
            expected: "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        HMACVector(
            name: "RFC 2202 case 4", key: Array(1...25), data: Array(repeating: 0xCD, count: 50),
            expected: "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        HMACVector(
            name: "RFC 2202 case 5", key: Array(repeating: 0x0C, count: 20), data: Array("Test With Truncation".utf8),
            expected: "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        HMACVector(
            name: "RFC 2202 case 6", key: Array(repeating: 0xAA, count: 80),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            expected: "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        HMACVector(
            name: "RFC 2202 case 7", key: Array(repeating: 0xAA, count: 80),
            data: Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
            expected: "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ]

    @Test("HMAC-SHA256 matches RFC 4231", arguments: rfc4231)
    func hmacSHA256(vector: HMACVector) {
        let mac = Digest.hmac(.sha256, key: vector.key, message: vector.data)
        #expect(mac.count == 32)
        #expect(Hex.encode(mac.prefix(vector.truncatedTo ?? mac.count)) == vector.expected)
    }

    @Test("HMAC-SHA1 matches RFC 2202", arguments: rfc2202)
    func hmacSHA1(vector: HMACVector) {
        #expect(Hex.encode(Digest.hmac(.sha1, key: vector.key, message: vector.data)) == vector.expected)
    }

    @Test("HMAC with an empty key and an empty message gives the known value")
    func hmacEmpty() {
        #expect(
            Hex.encode(Digest.hmac(.sha256, key: [UInt8](), message: [UInt8]()))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test("the string form of HMAC-SHA256 equals the byte form")
    func hmacStrings() {
        #expect(
            Digest.hmacSHA256(key: "Jefe", message: "what do ya want for nothing?")
                == Digest.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
    }

    @Test("SHA-256 matches the FIPS 180-2 examples")
    func sha256() {
        #expect(
            Hex.encode(Digest.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Hex.encode(Digest.sha256(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Hex.encode(Digest.sha256(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A collection without contiguous storage, and a string's own bytes.
        #expect(
            Hex.encode(Digest.sha256(Array("abc".utf8).lazy.map { $0 }))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Hex.encode(Digest.sha256("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("constant-time comparison tells equal from unequal and different lengths")
    func constantTime() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals("sha256=abc", "sha256=abc"))
        #expect(!ConstantTime.equals("sha256=abc", "sha256=abd"))
    }

    @Test("random bytes have the asked length and do not repeat")
    func random() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        #expect(SecureRandom.bytes(count: 1000).count == 1000)
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
        // 4096 random bytes should hit most byte values; a stuck generator would not.
        #expect(Set(SecureRandom.bytes(count: 4096)).count > 240)
    }

    @Test("tokens are 43 base64url characters for 32 bytes and unique")
    func tokens() throws {
        let token = SecureRandom.token()
        #expect(token.count == 43)
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(try Base64.decode(token).count == 32)
        let many = Set((0..<200).map { _ in SecureRandom.token() })
        #expect(many.count == 200)
    }
}
