import Contracts
import Foundation
import Logging
import Postgres
import Prometheus
import RPC
import ServiceLifecycle

/// What one domain service (identity, agents, conversations, crm, hooks, analytics) brings to
/// the shared runner: its contract, its migrations and its handlers.
///
/// The runner supplies the rest, the same for every service: the PostgreSQL pool, migrations
/// under an advisory lock (retried with backoff while the database is down), the RPC server
/// on `<service>.<n>.sock`, the `Health` and `Metrics` methods, logging and graceful shutdown.
public struct DomainService: Sendable {
    /// The service's name and contract.
    public var service: PlatformService
    /// The folder of `NNNN_what.sql` files applied to the service's schema.
    public var migrations: URL
    /// The short name: `identity`, `agents`, ... (schema, socket and role are named after it).
    public var name: String { service.name }

    /// Registers the service's own handlers and returns its background services (workers,
    /// relays), started with the rest (use `ServiceState.waitUntilMigrated()` before touching
    /// the schema, as ``ScheduledJob`` does) and stopped before the pool closes.
    public var install: @Sendable (DomainServiceEnvironment) throws -> [any Service]

    public init(
        _ service: PlatformService, migrations: URL,
        install: @escaping @Sendable (DomainServiceEnvironment) throws -> [any Service] = { _ in [] }
    ) {
        self.service = service
        self.migrations = migrations
        self.install = install
    }
}

/// What a domain service's handlers are built from.
public struct DomainServiceEnvironment: Sendable {
    /// The process's configuration.
    public var configuration: ServiceConfiguration
    /// Where handlers register.
    public var router: RPCRouter
    /// The service's PostgreSQL pool (its own role, its own schema).
    public var database: PostgresClient
    /// Serving state, as reported by `Health`.
    public var state: ServiceState
    /// The process's logger.
    public var logger: Logger
    /// Pools to call other services (`clients.client(for: .crm)`); run with the service.
    public var clients: ServiceClients
    /// Gauges of waiting work, measured at each `Metrics` call (``BacklogGauges``).
    public var backlog: BacklogGauges
    /// The process's Prometheus registry, which `Metrics` answers with.
    public var metricsRegistry: PrometheusCollectorRegistry
}
