import Foundation
import Postgres
import Testing

/// Statements queued with `executeLater` travel with the next statement (libpq pipeline
/// mode): a transaction's BEGIN with its first statement, its last writes with COMMIT.
@Suite("Statements sent together in one round trip")
struct PipelineTests {
    struct Boom: Error {}

    static func count(_ client: PostgresClient, _ table: String) async throws -> Int {
        try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)")).firstRow?.decode(
            Int.self, "n") ?? -1
    }

    /// No transaction left open on the (only) connection, and it answers.
    static func clean(_ client: PostgresClient) async throws -> Bool {
        try await client.query("SELECT pg_current_xact_id_if_assigned() IS NULL AS fresh").firstRow?.decode(
            Bool.self, "fresh") == true
    }

    @Test("a transaction of a query between two queued inserts takes two round trips, in order, and commits")
    func transactionRoundTrips() async throws {
        try await withTestClient(poolSize: 1) { client, _ in
            try await client.execute("CREATE TABLE entries (n int8 NOT NULL)")
            // Warm: each statement prepared on the connection already (preparing is a trip too).
            try await client.withTransaction { connection in
                try await connection.execute("INSERT INTO entries VALUES ($1)", [0])
                _ = try await connection.query("SELECT count(*) AS n FROM entries")
            }
            try await client.execute("DELETE FROM entries")
            let (seen, trips, atBodyEnd) = try await client.withTransaction { connection in
                let before = connection.roundTrips
                connection.executeLater("INSERT INTO entries VALUES ($1)", [1])
                // Sent with BEGIN and the queued insert: it sees the insert.
                let seen = try await connection.query("SELECT count(*) AS n FROM entries").firstRow?.decode(
                    Int.self, "n")
                let trips = connection.roundTrips - before
                connection.executeLater("INSERT INTO entries VALUES ($1)", [2])
                return (seen, trips, connection.roundTrips)
            }
            #expect(seen == 1)
            #expect(trips == 1, "BEGIN, the insert and the query went in one exchange")
            // The pool's one connection: the second insert and COMMIT were one more exchange.
            let afterCommit = try await client.withConnection { $0.roundTrips }
            #expect(afterCommit - atBodyEnd == 1)
            #expect(try await Self.count(client, "entries") == 2)
            #expect(try await Self.clean(client))
        }
    }

    @Test("a queued statement's failure is thrown by the statement sent with it, which does not run")
    func queuedFailure() async throws {
        try await withTestClient(poolSize: 1) { client, _ in
            try await client.execute("CREATE TABLE items (n int8 NOT NULL)")
            let error = await postgresError {
                try await client.withTransaction { connection in
                    connection.executeLater("INSERT INTO items VALUES (NULL)")
                    try await connection.execute("INSERT INTO items VALUES ($1)", [7])
                }
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.sqlState == "23502")
            #expect(try await Self.count(client, "items") == 0)
            #expect(try await Self.clean(client))
            // The connection left pipeline mode: plain statements and further pipelines work.
            try await client.withTransaction { connection in
                connection.executeLater("INSERT INTO items VALUES ($1)", [1])
                try await connection.execute("INSERT INTO items VALUES ($1)", [2])
            }
            #expect(try await Self.count(client, "items") == 2)
        }
    }

    @Test("a failure sent with COMMIT rolls the whole transaction back and leaves the connection clean")
    func failureWithCommit() async throws {
        try await withTestClient(poolSize: 1) { client, _ in
            try await client.execute("CREATE TABLE ledger (amount int8 NOT NULL)")
            let error = await postgresError {
                try await client.withTransaction { connection in
                    try await connection.execute("INSERT INTO ledger VALUES ($1)", [10])
                    connection.executeLater("INSERT INTO ledger VALUES ($1)", [20])
                    connection.executeLater("INSERT INTO ledger VALUES (NULL)")
                }
            }
            #expect(error?.sqlState == "23502")
            #expect(try await Self.count(client, "ledger") == 0)
            #expect(try await Self.clean(client))
        }
    }

    @Test("outside a transaction, what is queued is sent when the lease's work returns, and dropped when it throws")
    func leaseEnd() async throws {
        try await withTestClient(poolSize: 1) { client, _ in
            try await client.execute("CREATE TABLE marks (n int8 NOT NULL)")
            try await client.withConnection { connection in
                connection.executeLater("INSERT INTO marks VALUES ($1)", [1])
                connection.executeLater("INSERT INTO marks VALUES ($1)", [2])
            }
            #expect(try await Self.count(client, "marks") == 2)
            await #expect(throws: Boom.self) {
                try await client.withConnection { connection in
                    connection.executeLater("INSERT INTO marks VALUES ($1)", [3])
                    throw Boom()
                }
            }
            #expect(try await Self.count(client, "marks") == 2)
            // A body that throws before its first statement: nothing was begun, nothing is open.
            await #expect(throws: Boom.self) {
                try await client.withTransaction { connection in
                    connection.executeLater("INSERT INTO marks VALUES ($1)", [4])
                    throw Boom()
                }
            }
            #expect(try await Self.count(client, "marks") == 2)
            #expect(try await Self.clean(client))
        }
    }

    @Test("a statement new to the connection is prepared once, even twice in one pipeline")
    func preparedInPipeline() async throws {
        try await withTestClient(poolSize: 1) { client, _ in
            try await client.execute("CREATE TABLE tallies (n int8 NOT NULL)")
            let insert = "INSERT INTO tallies VALUES ($1 + 100)"
            try await client.withTransaction { connection in
                connection.executeLater(PostgresQuery(unsafeSQL: insert), [1])
                connection.executeLater(PostgresQuery(unsafeSQL: insert), [2])
                try await connection.execute(PostgresQuery(unsafeSQL: insert), [3])
            }
            let rows = try await client.query("SELECT n FROM tallies ORDER BY n")
            #expect(try rows.map { try $0.decode(Int.self, "n") } == [101, 102, 103])
            let prepared = try await client.query(
                "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1", [insert])
            #expect(try prepared.firstRow?.decode(Int.self, "n") == 1)
        }
    }
}
