import Foundation
import Testing

@testable import Cryptography

@Suite("Base32, base64 and hex encodings")
struct EncodingTests {
    /// RFC 4648 §10 test vectors.
    static let base32Vectors: [(String, String)] = [
        ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
    ]
    static let base64Vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test("base32 encodes the RFC 4648 vectors, padded and unpadded", arguments: base32Vectors)
    func base32Encodes(plain: String, encoded: String) {
        #expect(Base32.encodePadded(Array(plain.utf8)) == encoded)
        #expect(Base32.encode(Array(plain.utf8)) == encoded.replacingOccurrences(of: "=", with: ""))
    }

    @Test("base32 decodes the RFC 4648 vectors with or without padding, in any case", arguments: base32Vectors)
    func base32Decodes(plain: String, encoded: String) throws {
        #expect(try Base32.decode(encoded) == Array(plain.utf8))
        #expect(try Base32.decode(encoded.replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
        #expect(try Base32.decode(encoded.lowercased()) == Array(plain.utf8))
    }

    @Test("base32 decodes the RFC 6238 seed shown with spaces")
    func base32DecodesSpacedSecret() throws {
        #expect(try Base32.decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == Array("12345678901234567890".utf8))
    }

    @Test("base32 round-trips every length of random bytes")
    func base32RoundTrips() throws {
        for length in 0..<70 {
            let bytes = SecureRandom.bytes(count: length)
            #expect(try Base32.decode(Base32.encode(bytes)) == bytes)
            #expect(try Base32.decode(Base32.encodePadded(bytes)) == bytes)
        }
    }

    @Test(
        "base32 rejects characters outside the alphabet and impossible lengths",
        arguments: ["MZXW1", "MZXW8===", "M", "MZX", "MZXW6Y", "MY=A"])
    func base32RejectsGarbage(text: String) {
        #expect(throws: CryptographyError.self) { try Base32.decode(text) }
    }

    @Test("base64 encodes and decodes the RFC 4648 vectors", arguments: base64Vectors)
    func base64KnownAnswers(plain: String, encoded: String) throws {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
        #expect(try Base64.decode(encoded.replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
    }

    @Test("base64url uses - and _ and no padding, and round-trips")
    func base64URL() throws {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0xFE]
        #expect(Base64.encode(bytes) == "+/+//g==")
        #expect(Base64.encodeURL(bytes) == "-_-__g")
        #expect(try Base64.decode("-_-__g") == bytes)
        for length in 0..<40 {
            let random = SecureRandom.bytes(count: length)
            #expect(try Base64.decode(Base64.encodeURL(random)) == random)
            #expect(try Base64.decode(Base64.encode(random)) == random)
        }
    }

    @Test("base64 rejects garbage", arguments: ["Zg=a", "Z", "Zm9v!", "Zg===", "Zh=="])
    func base64RejectsGarbage(text: String) {
        #expect(throws: CryptographyError.self) { try Base64.decode(text) }
    }

    @Test("hex round-trips and rejects odd or non-hex text")
    func hex() throws {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(try Hex.decode("00ABff") == [0x00, 0xAB, 0xFF])
        #expect(throws: CryptographyError.self) { try Hex.decode("abc") }
        #expect(throws: CryptographyError.self) { try Hex.decode("zz") }
    }
}
