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

    @Test("configuration descriptions never show the password")
    func configurationDescription() {
        let configuration = PostgresConfiguration(database: "app", user: "smarterchat_crm", password: "hunter2")
        #expect(!configuration.description.contains("hunter2"))
        #expect(configuration.connectionParameters.contains { $0 == ("password", "hunter2") })
        #expect(configuration.connectionParameters.contains { $0 == ("connect_timeout", "5") })
    }
}
