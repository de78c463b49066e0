import Foundation
import Postgres
import Testing

@Suite("Queries, transactions, the pool and LISTEN/NOTIFY")
struct PostgresClientTests {
    @Test("a value with quotes and semicolons is stored verbatim through a parameter")
    func parametersAreNotSQL() async throws {
        try await withTestClient { client, _ in
            try await client.execute("CREATE TABLE notes (id uuid PRIMARY KEY, body text NOT NULL)")
            let hostile = "Robert'); DROP TABLE notes; -- \"x\" \\ ; ' $1"
            let id = UUID()
            let inserted = try await client.execute("INSERT INTO notes (id, body) VALUES ($1, $2)", [id, hostile])
            #expect(inserted == 1)
            let rows = try await client.query("SELECT body FROM notes WHERE id = $1", [id])
            #expect(try rows.firstRow?.decode(String.self, "body") == hostile)
            let count = try await client.query("SELECT count(*) AS n FROM notes")
            #expect(try count.firstRow?.decode(Int.self, "n") == 1)
        }
    }

    @Test("execute reports the affected row count and optionals bind as NULL")
    func affectedRows() async throws {
        try await withTestClient { client, _ in
            try await client.execute("CREATE TABLE items (n int8, label text)")
            let none: String? = nil
            for n in 1...5 { try await client.execute("INSERT INTO items VALUES ($1, $2)", [n, none]) }
            #expect(try await client.execute("UPDATE items SET label = $1 WHERE n > $2", ["big", 2]) == 3)
            #expect(try await client.execute("DELETE FROM items WHERE label IS NULL") == 2)
        }
    }

    @Test("a transaction commits, and rolls back when its body throws")
    func transactions() async throws {
        struct Boom: Error {}
        try await withTestClient(poolSize: 1) { client, _ in
            try await client.execute("CREATE TABLE ledger (amount int8 NOT NULL)")
            try await client.withTransaction { connection in
                try await connection.execute("INSERT INTO ledger VALUES ($1)", [10])
                try await connection.execute("INSERT INTO ledger VALUES ($1)", [20])
            }
            await #expect(throws: Boom.self) {
                try await client.withTransaction { connection in
                    try await connection.execute("INSERT INTO ledger VALUES ($1)", [1000])
                    throw Boom()
                }
            }
            let error = await postgresError {
                try await client.withTransaction { connection in
                    try await connection.execute("INSERT INTO ledger VALUES ($1)", [500])
                    try await connection.execute("INSERT INTO ledger VALUES (NULL)")
                }
            }
            #expect(error?.code == .invalidArgument)
            let sum = try await client.query("SELECT coalesce(sum(amount), 0)::int8 AS total FROM ledger")
            #expect(try sum.firstRow?.decode(Int.self, "total") == 30)
            // The one connection went back to the pool clean: no transaction left open with
            // a transaction id assigned by the rolled-back inserts.
            let state = try await client.query("SELECT pg_current_xact_id_if_assigned() IS NULL AS fresh")
            #expect(try state.firstRow?.decode(Bool.self, "fresh") == true)
        }
    }

    @Test("statements are prepared once per connection and survive rollbacks, DEALLOCATE and table changes")
    func preparedStatements() async throws {
        try await withTestClient(poolSize: 1) { client, _ in
            let sum = "SELECT $1::int8 + 1 AS n"
            let preparedCount: PostgresQuery = "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1"
            for _ in 0..<3 {
                #expect(
                    try await client.query(PostgresQuery(unsafeSQL: sum), [41]).firstRow?.decode(Int.self, "n") == 42)
            }
            // One server-side statement for the three runs.
            #expect(try await client.query(preparedCount, [sum]).firstRow?.decode(Int.self, "n") == 1)

            // Prepared inside a transaction that rolls back: still there afterwards.
            struct Boom: Error {}
            let double = "SELECT $1::int8 * 2 AS n"
            await #expect(throws: Boom.self) {
                try await client.withTransaction { connection in
                    #expect(
                        try await connection.query(PostgresQuery(unsafeSQL: double), [4]).firstRow?.decode(
                            Int.self, "n") == 8)
                    throw Boom()
                }
            }
            #expect(try await client.query(PostgresQuery(unsafeSQL: double), [5]).firstRow?.decode(Int.self, "n") == 10)
            #expect(try await client.query(preparedCount, [double]).firstRow?.decode(Int.self, "n") == 1)

            // Someone deallocated everything: the next run still answers, and prepares again.
            try await client.withConnection { try await $0.executeScript("DEALLOCATE ALL") }
            #expect(try await client.query(PostgresQuery(unsafeSQL: sum), [1]).firstRow?.decode(Int.self, "n") == 2)
            #expect(try await client.query(PostgresQuery(unsafeSQL: sum), [2]).firstRow?.decode(Int.self, "n") == 3)
            #expect(try await client.query(preparedCount, [sum]).firstRow?.decode(Int.self, "n") == 1)

            // A table changed under a prepared SELECT *: the new shape is answered.
            try await client.execute("CREATE TABLE shapes (a int8)")
            try await client.execute("INSERT INTO shapes VALUES (1)")
            #expect(try await client.query("SELECT * FROM shapes").columns == ["a"])
            try await client.execute("ALTER TABLE shapes ADD COLUMN b text")
            #expect(try await client.query("SELECT * FROM shapes").columns == ["a", "b"])
        }
    }

    @Test("fifty queries in parallel share a pool of four connections")
    func concurrency() async throws {
        try await withTestClient(poolSize: 4) { client, _ in
            let results = try await withThrowingTaskGroup(of: (Int, Int, Int).self) { group in
                for n in 0..<50 {
                    group.addTask {
                        let row = try #require(
                            try await client.query(
                                "SELECT $1::int8 * 2 AS doubled, pg_backend_pid() AS pid, pg_sleep(0.01)::text AS s",
                                [n]
                            ).firstRow)
                        return (n, try row.decode(Int.self, "doubled"), try row.decode(Int.self, "pid"))
                    }
                }
                var collected: [(Int, Int, Int)] = []
                for try await result in group { collected.append(result) }
                return collected
            }
            #expect(results.count == 50)
            #expect(results.allSatisfy { $0.1 == $0.0 * 2 })
            let backends = Set(results.map(\.2))
            #expect(backends.count <= 4)
            #expect(backends.count >= 2)
        }
    }

    @Test("a lease's body and its statements run on the connection's own thread, nested leases and child tasks too")
    func leaseRunsOnTheConnectionThread() async throws {
        try await withTestClient(poolSize: 2) { client, _ in
            try await client.withTransaction { connection in
                // The first statement moves the body to the connection's thread (no hop back).
                try await connection.execute("CREATE TEMPORARY TABLE hops (n int8)")
                #expect(connection.isOnItsThread)
                for n in 1...5 {
                    try await connection.execute("INSERT INTO hops VALUES ($1)", [n])
                    // Without the executor preference each statement resumes on another thread.
                    #expect(connection.isOnItsThread)
                }
                // Another connection inside the lease runs on its own thread and comes back.
                try await client.withConnection { other in
                    _ = try await other.query("SELECT 1 AS one")
                    #expect(other.isOnItsThread)
                    #expect(!connection.isOnItsThread)
                }
                _ = try await connection.query("SELECT 1 AS one")
                #expect(connection.isOnItsThread)
                // Child tasks share the connection's thread; their statements still work.
                let sums = try await withThrowingTaskGroup(of: Int.self) { group in
                    for n in 1...3 {
                        group.addTask {
                            try await connection.query("SELECT sum(n)::int8 + $1 AS s FROM hops", [n]).firstRow!.decode(
                                Int.self, "s")
                        }
                    }
                    var collected: [Int] = []
                    for try await sum in group { collected.append(sum) }
                    return collected.sorted()
                }
                #expect(sums == [16, 17, 18])
            }
        }
    }

    @Test("a notification sent after listening is delivered with its payload")
    func listenNotify() async throws {
        try await withTestClient { client, _ in
            let notifications = try await client.notifications(channel: "reply_jobs")
            try await client.notify(channel: "reply_jobs", payload: "job-1")
            try await client.notify(channel: "other", payload: "ignored")
            try await client.notify(channel: "reply_jobs", payload: "job 2; 'quoted'")
            var received: [String] = []
            for try await notification in notifications {
                #expect(notification.channel == "reply_jobs")
                received.append(notification.payload)
                if received.count == 2 { break }
            }
            #expect(received == ["job-1", "job 2; 'quoted'"])
        }
    }

    @Test("NOTIFY inside a transaction is delivered only after COMMIT")
    func notifyAfterCommit() async throws {
        try await withTestClient { client, _ in
            let notifications = try await client.notifications(channel: "outbox")
            try await client.withTransaction { connection in
                try await connection.execute("SELECT pg_notify($1, $2)", ["outbox", "committed"])
            }
            var iterator = notifications.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.payload == "committed")
        }
    }

    @Test("notifyAfterCommit is sent once the transaction committed, outside it, each distinct one once")
    func notificationsAfterCommit() async throws {
        try await withTestClient { client, _ in
            let schema = try #require(try await client.query("SELECT current_schema() AS s").firstRow)
                .decode(String.self, "s")
            let notifications = try await client.notifications(channel: schema + "_pings")
            var iterator = notifications.makeAsyncIterator()
            try await client.withTransaction { connection in
                for _ in 0..<3 { connection.notifyAfterCommit(schemaChannel: "_pings", payload: "a") }
                connection.notifyAfterCommit(schemaChannel: "_pings", payload: "b")
                connection.notifyAfterCommit(schemaChannel: "_other", payload: "c")
                // Nothing is sent while the transaction is open: a sentinel NOTIFY sent on another
                // connection now arrives first.
                try await client.notify(channel: schema + "_pings", payload: "sentinel")
                try await Task.sleep(for: .milliseconds(100))
            }
            var received: [String] = []
            while received.count < 3, let notification = try await iterator.next() {
                received.append(notification.payload)
            }
            #expect(received == ["sentinel", "a", "b"])
            // The three "a" were one: a later notification is the next one received.
            try await client.notify(channel: schema + "_pings", payload: "later")
            #expect(try await iterator.next()?.payload == "later")
        }
    }
}

@Suite("The pool's statistics")
struct PoolStatisticsTests {
    @Test("a lease that finds the pool full is counted with its wait; open and idle follow the leases")
    func waitsAreCounted() async throws {
        try await withTestClient(poolSize: 1) { client, _ in
            _ = try await client.query("SELECT 1")
            var statistics = client.statistics
            #expect(statistics.capacity == 1 && statistics.open == 1 && statistics.idle == 1)
            #expect(statistics.waits == 0 && statistics.waiting == 0)
            let holding = Task {
                try await client.withConnection { connection in
                    _ = try await connection.query("SELECT pg_sleep(0.3)")
                }
            }
            // Until the holder has the only connection.
            while client.statistics.idle == 1 { try await Task.sleep(for: .milliseconds(5)) }
            let waiter = Task { try await client.query("SELECT 2 AS two") }
            while client.statistics.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(client.statistics.idle == 0)
            try await holding.value
            _ = try await waiter.value
            statistics = client.statistics
            #expect(statistics.waits == 1 && statistics.waiting == 0 && statistics.idle == 1)
            #expect(statistics.waited >= .milliseconds(100) && statistics.waited < .seconds(10))
        }
    }
}
