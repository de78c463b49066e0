import Configuration
import Contracts
import Foundation
import Logging
import Postgres
import RPC
import Synchronization
import TestSupport
import Testing

@testable import ServiceKit

/// The outbox relay with two replicas of a service on one database: one delivers to a
/// subscriber at a time, so each event reaches it once and in order.
@Suite("Outbox relay across replicas")
struct OutboxRelayTests {
    /// analytics' ConsumeEvents recording the ids it receives; each batch waits until `open`.
    final class RecordingSubscriber: Sendable {
        let received = Mutex<[String]>([])
        let batchSizes = Mutex<[Int]>([])
        let callsInProgress = Mutex(0)
        let open = Mutex(true)
        let failing = Mutex(false)
        let delay: Duration

        init(delay: Duration = .zero) {
            self.delay = delay
        }

        var caller: RPCInProcessClient {
            let router = RPCRouter(service: Analytics.Service.descriptor)
            router.register(Analytics.Service.consumeEvents) { request, _ in
                self.callsInProgress.withLock { $0 += 1 }
                defer { self.callsInProgress.withLock { $0 -= 1 } }
                if self.failing.withLock({ $0 }) { throw RPCError(.unavailable, "analytics is down") }
                try await Task.sleep(for: self.delay)
                while !self.open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                self.received.withLock { $0 += request.events.map(\.id) }
                self.batchSizes.withLock { $0.append(request.events.count) }
                return Common.ConsumeEventsResponse()
            }
            return RPCInProcessClient(router: router)
        }
    }

    static let logger = Logger(label: "OutboxRelayTests")

    /// A fresh identity database (it has an outbox) with `count` events; answers their ids in order.
    static func database(events count: Int) async throws -> (PostgresClient, [String]) {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(service: "identity", poolSize: 8, logger: logger)
        let organization = UUID()
        let ids = try await database.withTransaction { connection in
            var ids: [String] = []
            for index in 0..<count {
                let id = try await Outbox.append(
                    Outbox.Event(
                        type: "test.event", organizationID: organization, aggregateType: "test",
                        aggregateID: organization, payloadJSON: "{\"index\": \(index)}"),
                    on: connection)
                ids.append(id.lowercasedString)
            }
            return ids
        }
        return (database, ids)
    }

    static func relay(
        _ database: PostgresClient, _ subscriber: RecordingSubscriber, batchSize: Int, gather: Duration = .zero
    ) -> OutboxRelay {
        let caller = subscriber.caller
        let state = ServiceState(
            configuration: ServiceConfiguration(
                service: "identity",
                reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [:]))))
        state.markMigrated(version: 1)
        return OutboxRelay(
            source: "identity", database: database, subscriberCaller: { _ in caller }, subscribers: [.analytics],
            state: state, logger: logger, batchSize: batchSize, gather: gather)
    }

    static func append(_ count: Int, to database: PostgresClient) async throws {
        let organization = UUID()
        try await database.withTransaction { connection in
            for _ in 0..<count {
                try await Outbox.append(
                    Outbox.Event(
                        type: "test.event", organizationID: organization, aggregateType: "test",
                        aggregateID: organization, payloadJSON: "{}"),
                    on: connection)
            }
        }
    }

    static func undelivered(_ database: PostgresClient) async throws -> Int {
        try await database.query("SELECT count(*) AS n FROM outbox WHERE NOT ('analytics' = ANY(delivered_to))")
            .firstRow!.decode(Int.self, "n")
    }

    @Test("two replicas relaying at once deliver every event once, in order")
    func twoReplicasDeliverOnce() async throws {
        let (database, ids) = try await Self.database(events: 240)
        defer { Task { await database.close() } }
        // Each call takes a while, so without the claim both replicas would fetch and send the
        // same batch while the other's call is in flight.
        let subscriber = RecordingSubscriber(delay: .milliseconds(20))
        let replicas = [
            Self.relay(database, subscriber, batchSize: 40), Self.relay(database, subscriber, batchSize: 40),
        ]
        let delivered = try await withThrowingTaskGroup(of: Int.self) { group in
            for relay in replicas {
                group.addTask {
                    var sent = 0
                    while try await Self.undelivered(database) > 0 {
                        let count = try await relay.deliverBatch(to: .analytics)
                        sent += count
                        if count == 0 { try await Task.sleep(for: .milliseconds(2)) }
                    }
                    return sent
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let received = subscriber.received.withLock { $0 }
        #expect(delivered.reduce(0, +) == ids.count)
        #expect(received.count == ids.count && Set(received).count == ids.count)
        let inOrder = received == ids
        #expect(inOrder)
        let marks = try await database.query("SELECT delivered_to FROM outbox ORDER BY sequence")
            .map { try $0.decode([String].self, "delivered_to") }
        #expect(marks.count == ids.count && marks.allSatisfy { $0 == ["analytics"] })
    }

    @Test("while one replica's call is in flight the other sends nothing; a failed call frees the claim")
    func claimHeldDuringCallAndFreedOnFailure() async throws {
        let (database, ids) = try await Self.database(events: 30)
        defer { Task { await database.close() } }
        let subscriber = RecordingSubscriber()
        let first = Self.relay(database, subscriber, batchSize: 20)
        let second = Self.relay(database, subscriber, batchSize: 20)

        subscriber.open.withLock { $0 = false }
        let inFlight = Task { try await first.deliverBatch(to: .analytics) }
        while subscriber.callsInProgress.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try await second.deliverBatch(to: .analytics) == 0)
        subscriber.open.withLock { $0 = true }
        #expect(try await inFlight.value == 20)
        #expect(subscriber.received.withLock { $0 } == Array(ids.prefix(20)))

        // A call that fails rolls its transaction back: nothing is marked and the other
        // replica delivers at once.
        subscriber.failing.withLock { $0 = true }
        await #expect(throws: RPCError.self) { try await first.deliverBatch(to: .analytics) }
        #expect(try await Self.undelivered(database) == 10)
        subscriber.failing.withLock { $0 = false }
        #expect(try await second.deliverBatch(to: .analytics) == 10)
        #expect(subscriber.received.withLock { $0 } == ids)
    }

    @Test("woken by a commit, the relay waits its gather time so that the commits just after go in the same batch")
    func gathersEventsCommittedTogether() async throws {
        let (database, _) = try await Self.database(events: 0)
        defer { Task { await database.close() } }
        let subscriber = RecordingSubscriber()
        let relay = Self.relay(database, subscriber, batchSize: 100, gather: .seconds(1))
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        // Its first look (nothing yet) and its LISTEN are done well within a second.
        try await Task.sleep(for: .seconds(1))
        // Three commits 200 ms apart, all within the second the first one's notification
        // starts: one batch (without the gather time, three).
        try await Self.append(1, to: database)
        try await Task.sleep(for: .milliseconds(200))
        try await Self.append(2, to: database)
        try await Task.sleep(for: .milliseconds(200))
        try await Self.append(3, to: database)
        let sent = try await Self.waitUntil { try await Self.undelivered(database) == 0 }
        #expect(sent)
        #expect(subscriber.batchSizes.withLock { $0 } == [6])
    }

    static func waitUntil(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("the relay's mark of a small batch runs a generic plan, not one planned again at every execution")
    func markRunsGenericPlan() async throws {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(service: "identity", poolSize: 1, logger: Self.logger)
        defer { Task { await database.close() } }
        let organization = UUID()
        var ids: [String] = []
        for index in 0..<16 {
            let id = try await database.withTransaction { connection in
                try await Outbox.append(
                    Outbox.Event(
                        type: "test.event", organizationID: organization, aggregateType: "test",
                        aggregateID: organization, payloadJSON: "{\"index\": \(index)}"),
                    on: connection)
            }
            ids.append(id.lowercasedString)
        }
        // Eight relay transactions marking two events each, as at a steady low rate, on the
        // pool's one connection.
        for batch in 0..<8 {
            try await database.withTransaction { connection in
                #expect(try await OutboxStore.claimDelivery(to: "analytics", source: "identity", on: connection))
                try await OutboxStore.markDelivered(
                    Array(ids[(batch * 2)..<(batch * 2 + 2)]), to: "analytics", on: connection)
            }
        }
        let delivered = try await database.query(
            "SELECT count(*)::int AS n FROM outbox WHERE 'analytics' = ANY(delivered_to)"
        ).firstRow?.decode(Int.self, "n")
        #expect(delivered == 16)
        let plans = try #require(
            try await database.query(
                """
                SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements
                WHERE statement LIKE '%UPDATE outbox SET delivered_to%' AND statement NOT LIKE '%pg_prepared_statements%'
                """
            ).firstRow)
        let custom = try plans.decode(Int.self, "custom")
        let generic = try plans.decode(Int.self, "generic")
        #expect(custom == 0)
        #expect(generic == 8)
    }

    @Test("the purge deletes events older than the given days, a batch at a time, and keeps the rest")
    func purgeDeletesOldEvents() async throws {
        let (database, ids) = try await Self.database(events: 7)
        defer { Task { await database.close() } }
        try await database.execute(
            "UPDATE outbox SET occurred_at = CURRENT_TIMESTAMP - INTERVAL '8 days' WHERE id = ANY($1::uuid[])",
            [Array(ids[0..<5])])
        try await database.execute(
            "UPDATE outbox SET occurred_at = CURRENT_TIMESTAMP - INTERVAL '6 days' WHERE id = $1::uuid", [ids[5]])
        // Five old events in batches of two: three statements, all five gone.
        let purged = try await database.withConnection {
            try await OutboxStore.purge(olderThanDays: 7, batch: 2, on: $0)
        }
        #expect(purged == 5)
        let left = try await database.query("SELECT id::text AS id FROM outbox ORDER BY sequence")
            .map { try $0.decode(String.self, "id") }
        #expect(left == Array(ids[5...]))
    }
}
