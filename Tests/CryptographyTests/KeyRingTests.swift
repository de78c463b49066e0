import Testing

@testable import Cryptography

@Suite("KeyRing: sealing secrets at rest with key ids and rotation")
struct KeyRingTests {
    let old = SymmetricKey.generate()
    let new = SymmetricKey.generate()

    @Test("parses a configuration string; the first key is current")
    func parsesConfiguration() throws {
        let ring = try KeyRing(configuration: "k2:\(new.base64), k1:\(old.base64)")
        #expect(ring.currentKeyID == "k2")
        #expect(ring.keyIDs == ["k1", "k2"])
    }

    @Test(
        "rejects malformed configurations without echoing the keys",
        arguments: ["", "k1", ":AAAA", "k1:short", "k1:%%%%", "bad id:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="])
    func rejectsConfiguration(text: String) {
        #expect {
            _ = try KeyRing(configuration: text)
        } throws: { error in
            guard let error = error as? CryptographyError else { return false }
            return error.code == .invalidKeyRing && !error.description.contains("AAAA")
                && !error.description.contains("short")
        }
    }

    @Test("rejects a repeated key id")
    func rejectsDuplicate() {
        #expect(throws: CryptographyError.self) {
            try KeyRing(configuration: "k1:\(old.base64),k1:\(new.base64)")
        }
    }

    @Test("sealed text round-trips, with and without associated data, and never repeats")
    func roundTrips() throws {
        let ring = try KeyRing(configuration: "k1:\(old.base64)")
        let a = try ring.sealText("sk-secret-provider-key", associatedData: "agents.openai:42")
        let b = try ring.sealText("sk-secret-provider-key", associatedData: "agents.openai:42")
        #expect(a != b)
        #expect(!a.contains("sk-secret"))
        #expect(try ring.openText(a, associatedData: "agents.openai:42") == "sk-secret-provider-key")
        #expect(try ring.openText(ring.sealText("")) == "")
        let bytes = SecureRandom.bytes(count: 1000)
        #expect(try ring.open(ring.seal(bytes)) == bytes)
    }

    @Test("the binary form is version, key id, 12-byte nonce, ciphertext, 16-byte tag")
    func format() throws {
        let ring = try KeyRing(configuration: "key-7:\(old.base64)")
        let sealed = try ring.seal(Array("hello".utf8))
        let bytes = sealed.bytes
        #expect(bytes[0] == 1)
        #expect(bytes[1] == 5)
        #expect(Array(bytes[2..<7]) == Array("key-7".utf8))
        #expect(bytes.count == 2 + 5 + 12 + 5 + 16)
        #expect(try SealedValue(text: sealed.text) == sealed)
        #expect(try SealedValue(bytes: bytes).keyID == "key-7")
    }

    @Test("a value moved to another row (other associated data) does not open")
    func associatedDataBinds() throws {
        let ring = try KeyRing(configuration: "k1:\(old.base64)")
        let sealed = try ring.sealText("totp-secret", associatedData: "users.two_factor_secret:alice")
        #expect {
            _ = try ring.openText(sealed, associatedData: "users.two_factor_secret:mallory")
        } throws: { ($0 as? CryptographyError)?.code == .authenticationFailed }
    }

    @Test("any flipped bit of the sealed bytes is rejected")
    func tamperRejected() throws {
        let ring = try KeyRing(configuration: "k1:\(old.base64)")
        let bytes = try ring.seal(Array("secret".utf8)).bytes
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x04
            #expect(throws: CryptographyError.self) { try ring.open(SealedValue(bytes: changed)) }
        }
        #expect(throws: CryptographyError.self) { try SealedValue(bytes: Array(bytes.prefix(20))) }
        #expect(throws: CryptographyError.self) { try SealedValue(text: "@@not base64@@") }
    }

    @Test("an unknown key id is reported as such")
    func unknownKeyID() throws {
        let writer = try KeyRing(configuration: "k9:\(new.base64)")
        let reader = try KeyRing(configuration: "k1:\(old.base64)")
        let sealed = try writer.seal(Array("x".utf8))
        #expect {
            _ = try reader.open(sealed)
        } throws: { ($0 as? CryptographyError)?.code == .unknownKeyID }
    }

    @Test("a wrong key under the right id fails authentication")
    func wrongKey() throws {
        let writer = try KeyRing(configuration: "k1:\(new.base64)")
        let reader = try KeyRing(configuration: "k1:\(old.base64)")
        #expect {
            _ = try reader.open(writer.seal(Array("x".utf8)))
        } throws: { ($0 as? CryptographyError)?.code == .authenticationFailed }
    }

    @Test("rotation: old values open, need resealing, and reseal under the current key")
    func rotation() throws {
        let before = try KeyRing(configuration: "k1:\(old.base64)")
        let after = try KeyRing(configuration: "k2:\(new.base64),k1:\(old.base64)")
        let sealed = try before.seal(Array("channel-token".utf8), associatedData: Array("ch:1".utf8))
        #expect(after.needsResealing(sealed))
        #expect(try after.open(sealed, associatedData: Array("ch:1".utf8)) == Array("channel-token".utf8))
        let resealed = try after.reseal(sealed, associatedData: Array("ch:1".utf8))
        #expect(resealed.keyID == "k2")
        #expect(!after.needsResealing(resealed))
        let onlyNew = try KeyRing(configuration: "k2:\(new.base64)")
        #expect(try onlyNew.open(resealed, associatedData: Array("ch:1".utf8)) == Array("channel-token".utf8))
    }

    @Test("changing the key id in the header fails authentication even when both keys are held")
    func headerAuthenticated() throws {
        let ring = try KeyRing(currentKeyID: "k1", keys: ["k1": old, "k2": old])
        let sealed = try ring.seal(Array("x".utf8))
        let relabelled = SealedValue(keyID: "k2", nonce: sealed.nonce, ciphertext: sealed.ciphertext, tag: sealed.tag)
        #expect {
            _ = try ring.open(relabelled)
        } throws: { ($0 as? CryptographyError)?.code == .authenticationFailed }
    }
}
