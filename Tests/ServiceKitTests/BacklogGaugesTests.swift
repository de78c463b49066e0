import Configuration
import Contracts
import Foundation
import Logging
import Postgres
import Prometheus
import RPC
import TestSupport
import Testing

@testable import ServiceKit

@Suite("Backlog gauges, measured at each scrape")
struct BacklogGaugesTests {
    static let logger = Logger(label: "BacklogGaugesTests")

    func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.dropFirst(series.count + 1))
        }
    }

    /// A migrated identity database (it has an outbox) and an environment on it.
    func environment() async throws -> (DomainServiceEnvironment, PrometheusCollectorRegistry) {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(service: "identity", poolSize: 2, logger: Self.logger)
        let configuration = ServiceConfiguration(
            service: "identity", reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [:]))
        )
        let registry = PrometheusCollectorRegistry()
        let environment = DomainServiceEnvironment(
            configuration: configuration, router: RPCRouter(service: Identity.Service.descriptor), database: database,
            state: ServiceState(configuration: configuration), logger: Self.logger,
            clients: ServiceClients(runDirectory: "/nonexistent", callerName: "identity", logger: Self.logger),
            backlog: BacklogGauges(registry: registry), metricsRegistry: registry)
        return (environment, registry)
    }

    func append(_ type: String, occurredSecondsAgo: Int = 0, on database: PostgresClient) async throws -> String {
        let organization = UUID()
        let id = try await database.withTransaction { connection in
            try await Outbox.append(
                Outbox.Event(
                    type: type, organizationID: organization, aggregateType: "test", aggregateID: organization,
                    payloadJSON: "{}"),
                on: connection)
        }
        try await database.execute(
            "UPDATE outbox SET occurred_at = clock_timestamp() - make_interval(secs => $2::float8) WHERE id = $1",
            [id, Double(occurredSecondsAgo)])
        return id.lowercasedString
    }

    @Test(
        "the outbox relay's gauges: events pending per subscriber (its excluded types not counted) and the oldest's age"
    )
    func outboxGauges() async throws {
        let (environment, registry) = try await environment()
        _ = environment.outboxRelay()
        let database = environment.database
        await environment.backlog.refresh(database: database, logger: Self.logger)
        var text = registry.emitToString()
        #expect(value(#"smarterchat_outbox_pending_events{subscriber="hooks"}"#, in: text) == 0)
        #expect(value(#"smarterchat_outbox_oldest_pending_seconds{subscriber="analytics"}"#, in: text) == 0)

        // A confidential event goes to hooks only: analytics never gets it, so it is no backlog of analytics'.
        _ = try await append(OutboxSubscriber.confidentialTypes[0], occurredSecondsAgo: 7200, on: database)
        let old = try await append("user.created", occurredSecondsAgo: 3600, on: database)
        _ = try await append("user.created", on: database)
        await environment.backlog.refresh(database: database, logger: Self.logger)
        text = registry.emitToString()
        #expect(value(#"smarterchat_outbox_pending_events{subscriber="hooks"}"#, in: text) == 3)
        #expect(value(#"smarterchat_outbox_pending_events{subscriber="analytics"}"#, in: text) == 2)
        let hooksAge = try #require(value(#"smarterchat_outbox_oldest_pending_seconds{subscriber="hooks"}"#, in: text))
        let analyticsAge = try #require(
            value(#"smarterchat_outbox_oldest_pending_seconds{subscriber="analytics"}"#, in: text))
        #expect(hooksAge >= 7200 && hooksAge < 7300)
        #expect(analyticsAge >= 3600 && analyticsAge < 3700)

        // Delivered, the oldest no longer counts: the age is the next one's (just now).
        try await database.withConnection { try await OutboxStore.markDelivered([old], to: "analytics", on: $0) }
        await environment.backlog.refresh(database: database, logger: Self.logger)
        text = registry.emitToString()
        #expect(value(#"smarterchat_outbox_pending_events{subscriber="analytics"}"#, in: text) == 1)
        #expect((value(#"smarterchat_outbox_oldest_pending_seconds{subscriber="analytics"}"#, in: text) ?? -1) < 60)
    }

    @Test("due work: rows due and pending are counted, the first due one's wait is its age")
    func dueWork() async throws {
        let (environment, registry) = try await environment()
        let database = environment.database
        try await database.execute("CREATE TABLE chores (status TEXT NOT NULL, due_at TIMESTAMPTZ NOT NULL)")
        try await database.execute(
            """
            INSERT INTO chores VALUES
                ('pending', clock_timestamp() - interval '10 minutes'), ('pending', clock_timestamp() - interval '1 minute'),
                ('pending', clock_timestamp() + interval '1 hour'), ('done', clock_timestamp() - interval '1 day')
            """)
        environment.backlog.addDueWork(
            name: "chores", what: "chores", table: "chores", dueAt: "due_at", where: "status = 'pending'")
        await environment.backlog.refresh(database: database, logger: Self.logger)
        let text = registry.emitToString()
        #expect(value("smarterchat_chores_due", in: text) == 2)
        let age = try #require(value("smarterchat_chores_oldest_due_seconds", in: text))
        #expect(age >= 600 && age < 700)
        #expect(text.contains("# HELP smarterchat_chores_due Chores due and not yet taken."))
    }

    @Test("a failing query leaves its gauge at its last figure; the others still refresh")
    func failingQuery() async throws {
        let (environment, registry) = try await environment()
        let backlog = environment.backlog
        backlog.add(name: "broken", help: "A query on a table that does not exist.", sql: "SELECT 1 FROM no_such_table")
        backlog.add(name: "fine", help: "Always 7.", sql: "SELECT 7::float8 AS value")
        await backlog.refresh(database: environment.database, logger: Self.logger)
        let text = registry.emitToString()
        #expect(value("smarterchat_broken", in: text) == 0)
        #expect(value("smarterchat_fine", in: text) == 7)
    }

    @Test("a slow database: each query stops at 500 ms, and queries past the budget are skipped")
    func slowDatabase() async throws {
        let (environment, registry) = try await environment()
        let backlog = environment.backlog
        backlog.add(name: "slow_a", help: "Cut at 500 ms.", sql: "SELECT 1::float8 AS value FROM pg_sleep(5)")
        backlog.add(name: "slow_b", help: "Cut at 500 ms.", sql: "SELECT 2::float8 AS value FROM pg_sleep(5)")
        backlog.add(name: "late", help: "Past the budget.", sql: "SELECT 9::float8 AS value")
        let started = ContinuousClock.now
        await backlog.refresh(database: environment.database, logger: Self.logger, budget: .milliseconds(800))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(3))
        let text = registry.emitToString()
        #expect(value("smarterchat_slow_a", in: text) == 0 && value("smarterchat_slow_b", in: text) == 0)
        #expect(value("smarterchat_late", in: text) == 0)
        // The connection went back to the pool with the default timeout.
        let rows = try await environment.database.query("SHOW statement_timeout")
        #expect(try rows.firstRow?.decode(String.self, "statement_timeout") == "0")
    }

    @Test("counts stop at the cap")
    func countCap() {
        #expect(BacklogGauges.countSQL("t", where: "x").contains("LIMIT \(BacklogGauges.countCap)"))
    }
}

@Suite("The database pool in the metrics")
struct DatabasePoolMetricsTests {
    @Test("gauges follow the pool; the counters get only what is new since the last scrape")
    func poolFigures() {
        let registry = PrometheusCollectorRegistry()
        let metrics = DatabasePoolMetrics(registry: registry)
        metrics.update(.init(capacity: 8, open: 5, idle: 2, waiting: 1, waits: 2, waited: .milliseconds(1500)))
        metrics.update(.init(capacity: 8, open: 6, idle: 0, waiting: 3, waits: 3, waited: .seconds(2)))
        let text = registry.emitToString()
        for line in [
            "smarterchat_db_pool_capacity 8.0", #"smarterchat_db_pool_connections{state="open"} 6.0"#,
            #"smarterchat_db_pool_connections{state="idle"} 0.0"#, "smarterchat_db_pool_waiting 3.0",
            "smarterchat_db_pool_waits_total 3", "smarterchat_db_pool_wait_seconds_total 2.0",
        ] {
            #expect(text.contains(line), "\(line) missing")
        }
    }
}
