import Foundation
import TestSupport
import Testing

@testable import AgentsService

/// `JSONValue`'s hand-written writer and parser against Foundation's encoder and decoder.
@Suite("JSON text of configuration and provider bodies")
struct JSONValueTests {
    /// What `JSONValue.text` wrote before it was hand-written.
    static func encoderText(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let controlCharacters = String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) })

    static let samples: [JSONValue] = [
        .null, true, false, 0, -1, 42, 0.5, 0.7, -2.5e-10, 1e-7, 123.456, 1e15, 1e20, 1e300, -9_007_199_254_740_991,
        "", "plain", "quote \" backslash \\ slash / tab \t newline \n", .string(controlCharacters),
        "Olá, ação! 日本語 😀 \u{2028} \u{7F}", [], [:], [1, "two", [3, [4]], ["five": 5]],
        [
            "model": "gpt-4o-mini", "temperature": 0.7, "max_tokens": 300,
            "messages": [["role": "system", "content": "Você é um assistente.\nSeja breve."]],
            "tools": [["type": "function", "function": ["name": "capture_lead", "parameters": ["type": "object"]]]],
            "snake_case": true, "camelCase": false, "Zeta": .null, "alpha_2": [], "alpha_10": [:],
        ],
    ]

    @Test("text is what JSONEncoder with sorted keys and unescaped slashes writes")
    func textMatchesEncoder() throws {
        for value in Self.samples {
            #expect(value.text == (try Self.encoderText(value)), "\(value)")
        }
    }

    @Test("parsing reads what JSONDecoder reads, and every sample's text back to the same value")
    func parseMatchesDecoder() throws {
        let documents =
            Self.samples.map(\.text) + [
                " { \"a\" : [ 1 , 2.5e3 , -0.0 , 1E-2 ] , \"b\" : { } } ",
                "\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\"",
                "[true,false,null]", "3", "\"x\"", "{\"dup\":1,\"dup\":2}",
            ]
        for document in documents {
            let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
            #expect(JSONValue(text: document) == decoded, "\(document)")
        }
        for value in Self.samples {
            #expect(JSONValue(text: value.text) == value, "\(value)")
        }
    }

    @Test("malformed text is refused, never half read")
    func malformed() {
        let bad = [
            "", " ", "{", "}", "[1,]", "[,1]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "01", "1.", ".5", "+1",
            "-", "1e", "1e+", "tru", "nul", "True", "\"unterminated", "\"bad \\x escape\"", "\"raw \n newline\"",
            "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u12\"", "[1] 2", "1e400", "NaN", "[1 2]",
            "{\"a\":1 \"b\":2}", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        ]
        for document in bad {
            #expect(JSONValue(text: document) == nil, "\(document)")
        }
        // 500 levels are still JSON.
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(JSONValue(text: deep) != nil)
    }

    @Test("random documents survive text and back")
    func randomRoundTrip() {
        var generator = SeededGenerator(seed: 2026)
        let alphabet = Array("aZ09 _-/\\\"\n\t\u{1}\u{1F}éã😀日\u{2028}")
        func string() -> String {
            String(
                (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        func value(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &generator)))
            case 3: return .number(Double.random(in: -1e6...1e6, using: &generator))
            case 4: return .string(string())
            case 5: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in value(depth + 1) })
            default:
                return .object(
                    Dictionary(
                        (0..<Int.random(in: 0...4, using: &generator)).map { _ in (string(), value(depth + 1)) },
                        uniquingKeysWith: { $1 }))
            }
        }
        for _ in 0..<500 {
            let original = value(0)
            #expect(JSONValue(text: original.text) == original, "\(original.text)")
        }
    }
}
