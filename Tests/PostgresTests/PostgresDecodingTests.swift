import Foundation
import Postgres
import Testing

@Suite("Decoding column values from a real server")
struct PostgresDecodingTests {
    struct Profile: Codable, Equatable {
        var name: String
        var tags: [String]
    }

    @Test("timestamptz text rewritten as RFC 3339 equals to_char's, to whole seconds and to microseconds")
    func timestampTextMatchesToChar() async throws {
        try await withTestClient { client, _ in
            // Whole seconds, fractions with trailing zeros (printed shorter) and full ones.
            let rows = try await client.query(
                """
                SELECT t::text AS printed,
                       to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS seconds,
                       to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS micros
                FROM (SELECT timestamptz '1600-01-01 00:00:00+00'
                             + make_interval(secs => floor(random() * 1.2e10))
                             + make_interval(secs => (ARRAY[0, 0.5, 0.12, 0.000001, random()])[1 + g % 5])
                             AS t
                      FROM generate_series(1, 3000) g) s
                """)
            #expect(rows.count == 3000)
            for row in rows {
                let printed = try row.decode(String.self, "printed")
                #expect(TimestampText.rfc3339(postgresUTC: printed) == (try row.decode(String.self, "seconds")))
                #expect(
                    TimestampText.rfc3339(postgresUTC: printed, microseconds: true)
                        == (try row.decode(String.self, "micros")))
            }
        }
        // Another shape goes through Date: an offset other than UTC's.
        #expect(TimestampText.rfc3339(postgresUTC: "2026-11-26 09:00:00.5-03") == "2026-11-26T12:00:00Z")
    }

    @Test("every scalar type decodes by name and by index")
    func scalars() async throws {
        try await withTestClient { client, _ in
            let id = UUID()
            let rows = try await client.query(
                """
                SELECT $1::uuid AS id, 'olá mundo'::text AS name, 42::int4 AS small, 9000000000::int8 AS big,
                       true AS yes, false AS no, 3.25::float8 AS ratio, 12345678901234567890.123456789::numeric AS amount,
                       '2024-02-29 13:14:15.123456+00'::timestamptz AS at, '\\x00ff10'::bytea AS raw
                """, [id])
            #expect(rows.count == 1)
            let row = try #require(rows.firstRow)
            #expect(try row.decode(UUID.self, "id") == id)
            #expect(try row.decode(UUID.self, at: 0) == id)
            #expect(try row.decode(String.self, "name") == "olá mundo")
            #expect(try row.decode(Int32.self, "small") == 42)
            #expect(try row.decode(Int.self, at: 2) == 42)
            #expect(try row.decode(Int64.self, "big") == 9_000_000_000)
            #expect(try row.decode(Bool.self, "yes") == true)
            #expect(try row.decode(Bool.self, "no") == false)
            #expect(try row.decode(Double.self, "ratio") == 3.25)
            #expect(try row.decode(Decimal.self, "amount") == Decimal(string: "12345678901234567890.123456789"))
            let expected = Date(timeIntervalSince1970: 1_709_212_455.123456)
            let at = try row.decode(Date.self, "at")
            #expect(abs(at.timeIntervalSince(expected)) < 0.000_001)
            #expect(try row.decode(Data.self, "raw") == Data([0x00, 0xFF, 0x10]))
        }
    }

    @Test("NULL decodes to nil for optionals and fails for non-optionals")
    func nulls() async throws {
        try await withTestClient { client, _ in
            let row = try #require(
                try await client.query("SELECT NULL::text AS t, NULL::uuid AS u, NULL::int8 AS i").firstRow)
            #expect(try row.decode(String?.self, "t") == nil)
            #expect(try row.decode(UUID?.self, "u") == nil)
            #expect(try row.decode(Int?.self, "i") == nil)
            #expect(try row.isNull("t"))
            #expect(throws: PostgresError.self) { try row.decode(String.self, "t") }
        }
    }

    @Test("jsonb decodes as raw text and into a Codable value, and round-trips as a parameter")
    func json() async throws {
        try await withTestClient { client, _ in
            let profile = Profile(name: "Ana \"A\"", tags: ["vip", "sp"])
            let row = try #require(
                try await client.query(
                    "SELECT $1::jsonb AS doc, $1::jsonb -> 'tags' AS tags", [try PostgresBind.json(profile)]
                ).firstRow)
            #expect(try row.decodeJSON(Profile.self, "doc") == profile)
            #expect(try row.decode(PostgresJSON.self, "tags").text == #"["vip", "sp"]"#)
            #expect(try row.decode(PostgresJSON.self, "tags").decode([String].self) == ["vip", "sp"])
            #expect(throws: PostgresError.self) { try row.decodeJSON(Int.self, "doc") }
        }
    }

    @Test("text, uuid and int arrays round-trip, including NULL elements and awkward text")
    func arrays() async throws {
        try await withTestClient { client, _ in
            let ids = [UUID(), UUID()]
            let texts = ["plain", "with space", "com,ma", "quo\"te", "back\\slash", "NULL", "{brace}", ""]
            let row = try #require(
                try await client.query(
                    "SELECT $1::text[] AS texts, $2::uuid[] AS ids, $3::int8[] AS ints, ARRAY['a', NULL]::text[] AS holes, '{}'::int4[] AS empty, ARRAY[1,2]::int4[] AS small",
                    [texts, ids, [1, -2, 3]]
                ).firstRow)
            #expect(try row.decode([String].self, "texts") == texts)
            #expect(try row.decode([UUID].self, "ids") == ids)
            #expect(try row.decode([Int].self, "ints") == [1, -2, 3])
            #expect(try row.decode([String?].self, "holes") == ["a", nil])
            #expect(throws: PostgresError.self) { try row.decode([String].self, "holes") }
            #expect(try row.decode([Int32].self, "empty") == [])
            #expect(try row.decode([Int32].self, "small") == [1, 2])
        }
    }

    @Test("dates keep microseconds through a parameter round trip")
    func dates() async throws {
        try await withTestClient { client, _ in
            let dates = [
                Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_700_000_000.654321),
                Date(timeIntervalSince1970: -86_400 * 365.25 * 30 + 0.5), Date.distantFuture,
            ]
            for date in dates {
                let row = try #require(try await client.query("SELECT $1::timestamptz AS at", [date]).firstRow)
                let back = try row.decode(Date.self, "at")
                #expect(abs(back.timeIntervalSince(date)) < 0.000_001, "\(date)")
            }
        }
    }

    @Test("a value of the wrong type is a decoding error naming the column")
    func wrongType() async throws {
        try await withTestClient { client, _ in
            let row = try #require(try await client.query("SELECT 'abc'::text AS word").firstRow)
            let error = try #require(throws: PostgresError.self) { try row.decode(Int.self, "word") }
            #expect(error.code == .decodingFailed)
            #expect(error.message.contains("word"))
            #expect(throws: PostgresError.self) { try row.decode(Int.self, "missing") }
        }
    }
}
