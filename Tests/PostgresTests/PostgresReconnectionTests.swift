import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// These tests stop and kill their own private server, never the shared one.
@Suite("Reconnection after the server restarts or is down at start")
struct PostgresReconnectionTests {
    func withPrivateServer(_ body: (TemporaryPostgres) async throws -> Void) async throws {
        let server = try await TemporaryPostgres.start()
        do {
            try await body(server)
            await server.destroy()
        } catch {
            await server.destroy()
            throw error
        }
    }

    @Test("after an immediate stop and a start, the next query succeeds on the same client")
    func restart() async throws {
        try await withPrivateServer { server in
            let client = PostgresClient(configuration: server.configuration(poolSize: 2), logger: Logger(label: "test"))
            let before = try await client.query("SELECT pg_backend_pid() AS pid").firstRow?.decode(Int.self, "pid")
            try await server.stop(immediate: true)
            let down = await postgresError { _ = try await client.query("SELECT 1") }
            #expect(down?.code == .unavailable)
            #expect(client.isReachable == false)
            try await server.restart()
            let after = try await client.query("SELECT pg_backend_pid() AS pid").firstRow?.decode(Int.self, "pid")
            #expect(after != nil && after != before)
            #expect(client.isReachable)
            await client.close()
        }
    }

    @Test("a query in flight when the server is killed fails as unavailable, and the pool recovers")
    func killedInFlight() async throws {
        try await withPrivateServer { server in
            let client = PostgresClient(configuration: server.configuration(poolSize: 2), logger: Logger(label: "test"))
            _ = try await client.query("SELECT 1")
            async let sleeping: PostgresError? = postgresError { _ = try await client.query("SELECT pg_sleep(30)") }
            try await Task.sleep(for: .milliseconds(300))
            try await server.kill()
            let inFlight = await sleeping
            #expect(inFlight?.code == .unavailable)
            #expect(inFlight?.isRetryable == true)
            try await server.restart()
            // Both pooled connections died; queries keep working through fresh ones.
            for n in 1...4 {
                #expect(try await client.query("SELECT $1::int8 AS n", [n]).firstRow?.decode(Int.self, "n") == n)
            }
            await client.close()
        }
    }

    @Test("a client started while the server is down reports unreachable, then reachable once it starts")
    func downAtStart() async throws {
        try await withPrivateServer { server in
            try await server.stop()
            let client = PostgresClient(configuration: server.configuration(), logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                try await Task.sleep(for: .milliseconds(500))
                #expect(client.isReachable == false)
                try await server.restart()
                let deadline = ContinuousClock.now + .seconds(10)
                while !client.isReachable && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(client.isReachable)
                #expect(try await client.query("SELECT 7 AS seven").firstRow?.decode(Int.self, "seven") == 7)
                group.cancelAll()
            }
            let closed = await postgresError { _ = try await client.query("SELECT 1") }
            #expect(closed?.code == .unavailable)
        }
    }

    @Test("a listener keeps delivering after the server restarts")
    func listenerSurvivesRestart() async throws {
        try await withPrivateServer { server in
            let client = PostgresClient(configuration: server.configuration(), logger: Logger(label: "test"))
            let notifications = try await client.notifications(channel: "wake")
            var iterator = notifications.makeAsyncIterator()
            try await client.notify(channel: "wake", payload: "before")
            #expect(try await iterator.next()?.payload == "before")
            try await server.stop(immediate: true)
            try await server.restart()
            // Keep notifying until the listener has re-issued LISTEN on its new connection.
            let sender = Task {
                for _ in 0..<100 {
                    try? await client.notify(channel: "wake", payload: "after")
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(try await iterator.next()?.payload == "after")
            sender.cancel()
            await client.close()
        }
    }
}
