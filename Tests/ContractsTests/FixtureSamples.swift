import Contracts
import Foundation
import TestSupport

/// Messages the tests share: the golden one, and random ones from a seeded generator.
enum FixtureSamples {
    /// The message of `Golden/everything.textproto`.
    static var everything: ContractsFixture.Everything {
        var m = ContractsFixture.Everything()
        m.aDouble = 3.5
        m.aFloat = -1.25
        m.anInt32 = -42
        m.anInt64 = -9_000_000_000
        m.aUint32 = 4_000_000_000
        m.aUint64 = 18_000_000_000_000_000_000
        m.aSint32 = -7
        m.aSint64 = -70_000_000_000
        m.aFixed32 = 123_456
        m.aFixed64 = 1_234_567_890_123
        m.anSfixed32 = -5
        m.anSfixed64 = -6
        m.aBool = true
        m.aString = "olá, mundo ✓"
        m.someBytes = Data([0, 1, 255] + Array("binary".utf8))
        m.colour = .blue
        m.mood = .grumpy
        m.point = ContractsFixture.Point(x: 1, y: -2, label: "p")
        m.inner = ContractsFixture.Everything.Inner(name: "inner", values: [1, -1, 300])
        m.int32s = [0, 1, -1, .max]
        m.doubles = [0.5, -0.25]
        m.bools = [true, false, true]
        m.uint64s = [1, .max]
        m.sint32s = [-1, 1, -64]
        m.strings = ["a", "", "ç"]
        m.byteStrings = [Data("x".utf8), Data([0])]
        m.colours = [.red, .blue, .green]
        m.points = [ContractsFixture.Point(x: 3), ContractsFixture.Point(y: 4, label: "four")]
        m.labels = ["lang": "pt-BR"]
        m.pointsById = [7: ContractsFixture.Point(x: 70, y: 71)]
        m.counters = ["hits": 12]
        m.nickname = "nick"
        m.limit = 0
        m.shade = .red
        m.choice = .at(ContractsFixture.Point(x: 9, y: 9, label: "nine"))
        return m
    }

    /// A message with every field random; `rng` decides everything.
    static func random(using rng: inout SeededGenerator) -> ContractsFixture.Everything {
        var m = ContractsFixture.Everything()
        m.aDouble = Double.random(in: -1e12...1e12, using: &rng)
        m.aFloat = Float.random(in: -1e6...1e6, using: &rng)
        m.anInt32 = .random(in: .min ... .max, using: &rng)
        m.anInt64 = .random(in: .min ... .max, using: &rng)
        m.aUint32 = .random(in: .min ... .max, using: &rng)
        m.aUint64 = .random(in: .min ... .max, using: &rng)
        m.aSint32 = .random(in: .min ... .max, using: &rng)
        m.aSint64 = .random(in: .min ... .max, using: &rng)
        m.aFixed32 = .random(in: .min ... .max, using: &rng)
        m.aFixed64 = .random(in: .min ... .max, using: &rng)
        m.anSfixed32 = .random(in: .min ... .max, using: &rng)
        m.anSfixed64 = .random(in: .min ... .max, using: &rng)
        m.aBool = .random(using: &rng)
        m.aString = randomString(using: &rng)
        m.someBytes = randomData(using: &rng)
        m.colour = .init(rawValue: .random(in: -4...5, using: &rng))
        m.mood = .init(rawValue: .random(in: 0...4, using: &rng))
        m.point = Bool.random(using: &rng) ? randomPoint(using: &rng) : nil
        if Bool.random(using: &rng) {
            m.inner = .init(
                name: randomString(using: &rng),
                values: (0..<Int.random(in: 0...4, using: &rng)).map { _ in .random(in: .min ... .max, using: &rng) })
        }
        m.int32s = (0..<Int.random(in: 0...5, using: &rng)).map { _ in .random(in: .min ... .max, using: &rng) }
        m.doubles = (0..<Int.random(in: 0...3, using: &rng)).map { _ in .random(in: -1e6...1e6, using: &rng) }
        m.bools = (0..<Int.random(in: 0...3, using: &rng)).map { _ in .random(using: &rng) }
        m.uint64s = (0..<Int.random(in: 0...3, using: &rng)).map { _ in .random(in: .min ... .max, using: &rng) }
        m.sint32s = (0..<Int.random(in: 0...3, using: &rng)).map { _ in .random(in: .min ... .max, using: &rng) }
        m.strings = (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomString(using: &rng) }
        m.byteStrings = (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomData(using: &rng) }
        m.colours = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            .init(rawValue: .random(in: -4...5, using: &rng))
        }
        m.points = (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomPoint(using: &rng) }
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            m.labels[randomString(using: &rng)] = randomString(using: &rng)
        }
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            m.pointsById[.random(in: -99...99, using: &rng)] = randomPoint(using: &rng)
        }
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            m.counters[randomString(using: &rng)] = .random(in: .min ... .max, using: &rng)
        }
        m.nickname = Bool.random(using: &rng) ? randomString(using: &rng) : nil
        m.limit = Bool.random(using: &rng) ? .random(in: -3...3, using: &rng) : nil
        m.shade = Bool.random(using: &rng) ? .init(rawValue: .random(in: -4...5, using: &rng)) : nil
        switch Int.random(in: 0...5, using: &rng) {
        case 0: m.choice = .text(randomString(using: &rng))
        case 1: m.choice = .number(.random(in: .min ... .max, using: &rng))
        case 2: m.choice = .at(randomPoint(using: &rng))
        case 3: m.choice = .blob(randomData(using: &rng))
        case 4: m.choice = .feeling(.init(rawValue: .random(in: 0...4, using: &rng)))
        default: m.choice = nil
        }
        return m
    }

    static func randomPoint(using rng: inout SeededGenerator) -> ContractsFixture.Point {
        .init(
            x: .random(in: .min ... .max, using: &rng), y: .random(in: -5...5, using: &rng),
            label: randomString(using: &rng))
    }

    /// Any Unicode scalars but U+0000 (protobuf-c strings are NUL-terminated).
    static func randomString(using rng: inout SeededGenerator) -> String {
        let count = Int.random(in: 0...12, using: &rng)
        var s = String.UnicodeScalarView()
        while s.count < count {
            let pick = Int.random(in: 0...2, using: &rng)
            let value =
                pick == 0 ? UInt32.random(in: 1...0x7F, using: &rng) : UInt32.random(in: 0x80...0x10FFFF, using: &rng)
            if let scalar = Unicode.Scalar(value) { s.append(scalar) }
        }
        return String(s)
    }

    static func randomData(using rng: inout SeededGenerator) -> Data {
        Data((0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}
