import Contracts
import Foundation
import TestSupport
import Testing

@Suite("Messages from a newer or broken peer")
struct NewerPeerTests {
    typealias Everything = ContractsFixture.Everything

    @Test("fields this build does not know are skipped")
    func unknownFieldsAreIgnored() throws {
        let newer = FixtureSamples.everything
        let older = try ContractsFixture.EverythingV1(serializedBytes: newer.serializedBytes())
        #expect(older.aDouble == newer.aDouble)
        #expect(older.aString == newer.aString)
        // Re-encoding drops them: the older build keeps only what it knows.
        #expect(
            try Everything(serializedBytes: older.serializedBytes())
                == Everything(aDouble: 3.5, aString: "olá, mundo ✓"))
    }

    @Test("an enum value this build does not know is kept")
    func unknownEnumValueIsKept() throws {
        // Field 16 (colour), varint 7; field 27 (colours), packed [1, 9].
        let bytes: [UInt8] = [0x80, 0x01, 0x07, 0xDA, 0x01, 0x02, 0x01, 0x09]
        let m = try Everything(serializedBytes: bytes)
        #expect(m.colour == .unrecognized(7))
        #expect(m.colours == [.red, .unrecognized(9)])
        #expect(try Everything(serializedBytes: m.serializedBytes()) == m)
        #expect(m.colour.protoName == nil)
    }

    @Test("garbage either decodes or throws, never crashes (20,000 seeded inputs)")
    func garbage() {
        var rng = SeededGenerator(seed: 42)
        var thrown = 0
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do { _ = try Everything(serializedBytes: bytes) } catch { thrown += 1 }
        }
        #expect(thrown > 10_000)
    }

    @Test("every truncation of a valid message that cuts a field throws")
    func truncation() throws {
        let bytes = FixtureSamples.everything.serializedBytes()
        var thrown = 0
        for n in 0..<bytes.count {
            do { _ = try Everything(serializedBytes: Array(bytes[..<n])) } catch {
                #expect(error is ProtoDecodingError)
                thrown += 1
            }
        }
        #expect(thrown > bytes.count / 2)
        // Cut inside the length-delimited a_string (field 14): always an error.
        let cut = bytes.firstRange(of: Array("mundo".utf8))!.lowerBound
        #expect(throws: ProtoDecodingError.self) { try Everything(serializedBytes: Array(bytes[..<cut])) }
    }

    @Test("a wrong wire type for a known field throws")
    func wrongWireType() {
        // Field 14 (a_string) sent as a varint.
        #expect(throws: ProtoDecodingError.self) { try Everything(serializedBytes: [0x70, 0x01]) }
    }
}
