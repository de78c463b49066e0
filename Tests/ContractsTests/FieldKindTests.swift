import Contracts
import Foundation
import TestSupport
import Testing

@Suite("Every field kind crosses the bridge")
struct FieldKindTests {
    typealias Everything = ContractsFixture.Everything

    @Test("a message with every field set round-trips")
    func everythingRoundTrips() throws {
        let m = FixtureSamples.everything
        let decoded = try Everything(serializedBytes: m.serializedBytes())
        #expect(decoded == m)
        #expect(decoded.limit == 0, "a present zero keeps its presence")
        #expect(decoded.pointsById[7]?.y == 71)
    }

    @Test(
        "each oneof member round-trips, zero values included",
        arguments: [
            Everything.Choice.text(""), .text("t"), .number(0), .number(-1), .at(ContractsFixture.Point()),
            .blob(Data()), .blob(Data([1, 2])), .feeling(.unspecified), .feeling(.happy),
        ])
    func oneofRoundTrips(choice: Everything.Choice) throws {
        let m = Everything(choice: choice)
        #expect(try Everything(serializedBytes: m.serializedBytes()).choice == choice)
    }

    @Test("absent optional fields stay absent, present defaults stay present")
    func presence() throws {
        let absent = try Everything(serializedBytes: Everything().serializedBytes())
        #expect(absent.nickname == nil && absent.limit == nil && absent.shade == nil && absent.point == nil)
        let present = Everything(point: ContractsFixture.Point(), nickname: "", limit: 0, shade: .unspecified)
        let bytes = present.serializedBytes()
        #expect(!bytes.isEmpty)
        #expect(try Everything(serializedBytes: bytes) == present)
    }

    @Test("maps pack in key order, so equal maps give equal bytes")
    func mapsAreReproducible() {
        var a = Everything(), b = Everything()
        for i in 0..<50 { a.labels["k\(i)"] = "v\(i)" }
        for i in (0..<50).reversed() { b.labels["k\(i)"] = "v\(i)" }
        #expect(a.serializedBytes() == b.serializedBytes())
    }

    @Test("random messages round-trip (1,000 seeded cases)")
    func randomRoundTrips() throws {
        var rng = SeededGenerator(seed: 0x5EED_C0DE)
        for i in 0..<1_000 {
            let m = FixtureSamples.random(using: &rng)
            let decoded = try Everything(serializedBytes: m.serializedBytes())
            #expect(decoded == m, "case \(i)")
            if decoded != m { break }
        }
    }

    @Test("a message bigger than the stack arena round-trips")
    func bigMessage() throws {
        var m = Everything()
        m.strings = (0..<2_000).map { "string number \($0)" }
        m.points = (0..<500).map { ContractsFixture.Point(x: Int32($0), label: "p\($0)") }
        m.someBytes = Data(repeating: 7, count: 100_000)
        #expect(try Everything(serializedBytes: m.serializedBytes()) == m)
    }

    @Test("JSON round-trips with proto names, a oneof as its member's key")
    func jsonRoundTrips() throws {
        let m = FixtureSamples.everything
        let data = try JSONEncoder().encode(m)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"points_by_id\""))
        #expect(json.contains("\"at\":{"))
        #expect(json.contains("\"colour\":\"BLUE\""))
        #expect(try JSONDecoder().decode(Everything.self, from: data) == m)
    }
}
