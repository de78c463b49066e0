import Testing

@testable import Cryptography

/// One AES-256-GCM known-answer case (hex fields).
struct GCMVector: Sendable, CustomTestStringConvertible {
    let name: String
    let key: String
    let nonce: String
    let plaintext: String
    let associatedData: String
    let ciphertext: String
    let tag: String

    var testDescription: String { name }
}

@Suite("AES-256-GCM against the McGrew–Viega / NIST vectors")
struct AES256GCMTests {
    static let key15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let plaintext64 =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    static let ciphertext64 =
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"

    /// The GCM specification's test cases 13–16 (the AES-256 ones with a 96-bit IV).
    static let vectors: [GCMVector] = [
        GCMVector(
            name: "test case 13: empty plaintext", key: String(repeating: "00", count: 32),
            nonce: String(repeating: "00", count: 12), plaintext: "", associatedData: "", ciphertext: "",
            tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        GCMVector(
            name: "test case 14: one zero block", key: String(repeating: "00", count: 32),
            nonce: String(repeating: "00", count: 12), plaintext: String(repeating: "00", count: 16),
            associatedData: "", ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
            tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        GCMVector(
            name: "test case 15: four blocks", key: key15, nonce: "cafebabefacedbaddecaf888", plaintext: plaintext64,
            associatedData: "", ciphertext: ciphertext64, tag: "b094dac5d93471bdec1a502270e3cc6c"),
        GCMVector(
            name: "test case 16: 60 bytes with associated data", key: key15, nonce: "cafebabefacedbaddecaf888",
            plaintext: String(plaintext64.dropLast(8)), associatedData: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            ciphertext: String(ciphertext64.dropLast(8)), tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
    ]

    @Test("encryption gives the published ciphertext and tag", arguments: vectors)
    func encrypts(vector: GCMVector) throws {
        let (ciphertext, tag) = try AES256GCM.seal(
            Hex.decode(vector.plaintext), key: SymmetricKey(bytes: Hex.decode(vector.key)),
            nonce: Hex.decode(vector.nonce), associatedData: Hex.decode(vector.associatedData))
        #expect(Hex.encode(ciphertext) == vector.ciphertext)
        #expect(Hex.encode(tag) == vector.tag)
    }

    @Test("decryption gives the published plaintext", arguments: vectors)
    func decrypts(vector: GCMVector) throws {
        let plaintext = try AES256GCM.open(
            ciphertext: Hex.decode(vector.ciphertext), nonce: Hex.decode(vector.nonce), tag: Hex.decode(vector.tag),
            key: SymmetricKey(bytes: Hex.decode(vector.key)), associatedData: Hex.decode(vector.associatedData))
        #expect(Hex.encode(plaintext) == vector.plaintext)
    }

    @Test("a flipped bit anywhere, or other associated data, is rejected")
    func tamperRejected() throws {
        let vector = Self.vectors[3]
        let key = try SymmetricKey(bytes: Hex.decode(vector.key))
        let ciphertext = try Hex.decode(vector.ciphertext)
        let nonce = try Hex.decode(vector.nonce)
        let tag = try Hex.decode(vector.tag)
        let associatedData = try Hex.decode(vector.associatedData)
        func opens(_ c: [UInt8], _ n: [UInt8], _ t: [UInt8], _ a: [UInt8]) -> CryptographyError.Code? {
            do {
                _ = try AES256GCM.open(ciphertext: c, nonce: n, tag: t, key: key, associatedData: a)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(opens(ciphertext, nonce, tag, associatedData) == nil)
        var changed = ciphertext
        changed[7] ^= 0x01
        #expect(opens(changed, nonce, tag, associatedData) == .authenticationFailed)
        var changedTag = tag
        changedTag[15] ^= 0x80
        #expect(opens(ciphertext, nonce, changedTag, associatedData) == .authenticationFailed)
        var changedNonce = nonce
        changedNonce[0] ^= 0x01
        #expect(opens(ciphertext, changedNonce, tag, associatedData) == .authenticationFailed)
        #expect(opens(ciphertext, nonce, tag, associatedData.dropLast()) == .authenticationFailed)
        #expect(opens(ciphertext, nonce, tag, []) == .authenticationFailed)
        #expect(opens(ciphertext, nonce, Array(tag.prefix(12)), associatedData) == .invalidInput)
    }

    @Test("keys must be 32 bytes and print redacted")
    func keys() throws {
        #expect(throws: CryptographyError.self) { try SymmetricKey(bytes: [UInt8](repeating: 1, count: 16)) }
        #expect(throws: CryptographyError.self) { try SymmetricKey(base64: "not base64!") }
        let key = SymmetricKey.generate()
        #expect(key.bytes.count == 32)
        #expect(try SymmetricKey(base64: key.base64) == key)
        #expect(!"\(key)".contains(key.base64))
        #expect("\(key)" == "SymmetricKey(<redacted>)")
    }
}
