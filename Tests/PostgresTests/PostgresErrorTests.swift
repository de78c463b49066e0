import Foundation
import Postgres
import Testing

@Suite("SQLSTATE mapping against a real server")
struct PostgresErrorTests {
    static let schema = """
        CREATE TABLE parents (id uuid PRIMARY KEY, email text UNIQUE NOT NULL);
        CREATE TABLE children (id uuid PRIMARY KEY, parent_id uuid NOT NULL REFERENCES parents(id),
                               age int4 CONSTRAINT age_positive CHECK (age > 0));
        """

    @Test("constraint violations and bad input map to meaningful codes")
    func mappings() async throws {
        try await withTestClient { client, _ in
            try await client.withConnection { try await $0.executeScript(PostgresQuery(unsafeSQL: Self.schema)) }
            let parent = UUID()
            try await client.execute("INSERT INTO parents VALUES ($1, $2)", [parent, "a@example.com"])

            let unique = await postgresError {
                try await client.execute("INSERT INTO parents VALUES ($1, $2)", [UUID(), "a@example.com"])
            }
            #expect(unique?.code == .alreadyExists)
            #expect(unique?.sqlState == "23505")
            #expect(unique?.constraint == "parents_email_key")

            let foreignKey = await postgresError {
                try await client.execute("INSERT INTO children VALUES ($1, $2, 3)", [UUID(), UUID()])
            }
            #expect(foreignKey?.code == .failedPrecondition)
            #expect(foreignKey?.sqlState == "23503")

            let check = await postgresError {
                try await client.execute("INSERT INTO children VALUES ($1, $2, $3)", [UUID(), parent, Int32(-1)])
            }
            #expect(check?.code == .invalidArgument)
            #expect(check?.sqlState == "23514")
            #expect(check?.constraint == "age_positive")

            let notNull = await postgresError {
                try await client.execute("INSERT INTO parents VALUES ($1, $2)", [UUID(), String?.none])
            }
            #expect(notNull?.code == .invalidArgument)
            #expect(notNull?.sqlState == "23502")

            let badUUID = await postgresError {
                _ = try await client.query("SELECT * FROM parents WHERE id = $1::uuid", ["not-a-uuid-secret"])
            }
            #expect(badUUID?.code == .invalidArgument)
            #expect(badUUID?.sqlState == "22P02")
            // The description carries neither the SQL nor the value.
            let description = "\(try #require(badUUID))"
            #expect(!description.contains("not-a-uuid-secret"))
            #expect(!description.contains("SELECT"))
            #expect(!(unique.map { "\($0)" } ?? "").contains("a@example.com"))

            let syntax = await postgresError { _ = try await client.query("SELEC 1") }
            #expect(syntax?.code == .internal)
            #expect(syntax?.sqlState == "42601")

            // The pool still works after every failure.
            #expect(try await client.query("SELECT 1 AS one").firstRow?.decode(Int.self, "one") == 1)
        }
    }

    @Test("a serialization failure is aborted and retryable")
    func serialization() async throws {
        try await withTestClient { client, _ in
            let error = await postgresError {
                _ = try await client.query("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
            }
            #expect(error?.code == .aborted)
            #expect(error?.isRetryable == true)
        }
    }

    @Test(
        "SQLSTATE classes map without a server",
        arguments: [
            ("23505", "alreadyExists"), ("23503", "failedPrecondition"), ("23514", "invalidArgument"),
            ("23502", "invalidArgument"), ("22P02", "invalidArgument"), ("40001", "aborted"), ("40P01", "aborted"),
            ("08006", "unavailable"), ("08001", "unavailable"), ("57P01", "unavailable"), ("42501", "permissionDenied"),
            ("42P01", "internal"), ("XX000", "internal"),
        ])
    func classification(state: String, code: String) {
        #expect(PostgresError.code(forSQLState: state).description == code)
    }
}
