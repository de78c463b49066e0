import Foundation
import Testing

@testable import Postgres

@Suite("Text formats without a server")
struct PostgresTextFormatTests {
    @Test("array literals parse quoting, escapes, NULL and bounds decoration")
    func arrayParsing() {
        #expect(PostgresArrayLiteral.parse("{}") == [])
        #expect(
            PostgresArrayLiteral.parse(#"{a,"b c",NULL,"NULL","q\"x","s\\t"}"#) == [
                "a", "b c", nil, "NULL", "q\"x", "s\\t",
            ])
        #expect(PostgresArrayLiteral.parse("[2:3]={1,2}") == ["1", "2"])
        #expect(PostgresArrayLiteral.parse("{{1,2},{3,4}}") == nil)
        #expect(PostgresArrayLiteral.parse("not an array") == nil)
        #expect(PostgresArrayLiteral.parse(#"{"unterminated}"#) == nil)
    }

    @Test(
        "formatted arrays parse back to the same elements",
        arguments: [
            [String?](), ["plain"], ["a,b", "{x}", nil, "\"", "\\", " lead"],
        ])
    func arrayRoundTrip(elements: [String?]) {
        #expect(PostgresArrayLiteral.parse(PostgresArrayLiteral.format(elements)) == elements)
    }

    @Test("timestamps parse offsets and fractions and format in UTC")
    func timestamps() throws {
        let utc = try #require(PostgresTimestamp.parse("2024-02-29 13:14:15.5+00"))
        #expect(utc.timeIntervalSince1970 == 1_709_212_455.5)
        let shifted = try #require(PostgresTimestamp.parse("2024-02-29 10:14:15.5-03"))
        #expect(shifted == utc)
        let withMinutes = try #require(PostgresTimestamp.parse("2024-02-29 18:44:15.5+05:30"))
        #expect(withMinutes == utc)
        #expect(PostgresTimestamp.parse("1969-12-31 23:59:59") == Date(timeIntervalSince1970: -1))
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: -1)) == "1969-12-31 23:59:59.000000+00")
        #expect(PostgresTimestamp.format(utc) == "2024-02-29 13:14:15.500000+00")
        #expect(PostgresTimestamp.parse("2024-02-29") == nil)
        #expect(PostgresTimestamp.parse("infinity") == .distantFuture)
    }

    @Test("UUID text: the canonical lower-case form and its parse agree with Foundation's; malformed text is refused")
    func uuidText() {
        for _ in 0..<2000 {
            let uuid = UUID()
            #expect(uuid.lowercasedString == uuid.uuidString.lowercased())
            #expect(UUID(canonicalText: uuid.uuidString) == uuid)
            #expect(UUID(canonicalText: uuid.uuidString.lowercased()) == uuid)
        }
        let edge = UUID(uuid: (0, 0xFF, 0x0F, 0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xAB, 0xCD, 0xEF))
        #expect(edge.lowercasedString == "00ff0ff0-0102-0304-0506-070809abcdef")
        #expect(edge.lowercasedString == edge.uuidString.lowercased())
        for bad in [
            "", "not-a-uuid", "00ff0ff0-0102-0304-0506-0708090abcd", "00ff0ff0-0102-0304-0506-0708090abcdeg",
            "00ff0ff0x0102-0304-0506-0708090abcde", "00ff0ff0-0102-0304-0506-0708090abcdef0",
            "{00ff0ff0-0102-0304-0506-0708090abcde}", "00ff0ff001020304050607080 90abcde",
        ] {
            #expect(UUID(canonicalText: bad) == nil, "\(bad)")
            #expect(UUID(uuidString: bad) == nil, "Foundation refuses \(bad) too")
        }
    }

    @Test("RFC 3339 text is the text of Foundation's ISO 8601 format style with fractional seconds")
    func rfc3339Text() {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.0005), Date(timeIntervalSince1970: 0.9995),
            Date(timeIntervalSince1970: 951_782_400.999), Date(timeIntervalSince1970: -62_135_596_800),
            Date(timeIntervalSince1970: 253_402_300_799.999), Date(timeIntervalSince1970: 1_795_000_000.1239),
        ]
        for _ in 0..<5000 { dates.append(Date(timeIntervalSince1970: Double.random(in: -2e9...4e9))) }
        // Microsecond timestamps as PostgreSQL stores them.
        for _ in 0..<5000 {
            dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_000_000_000_000_000)) / 1e6))
        }
        for date in dates {
            #expect(TimestampText.rfc3339(date) == style.format(date), "\(date.timeIntervalSince1970)")
        }
    }

    @Test("configuration descriptions never show the password")
    func configurationDescription() {
        let configuration = PostgresConfiguration(database: "app", user: "smarterchat_crm", password: "hunter2")
        #expect(!configuration.description.contains("hunter2"))
        #expect(configuration.connectionParameters.contains { $0 == ("password", "hunter2") })
        #expect(configuration.connectionParameters.contains { $0 == ("connect_timeout", "5") })
    }
}
