import AsyncHTTPClient
import Cryptography
import Foundation
import ServiceKit

/// The agents service: its contract, its migrations (schema `agents`), its handlers and the
/// reply engine (provider calls through the shared HTTP client, crm and identity over RPC),
/// and the relay that delivers its outbox.
func agentsService(configuration: AgentsConfiguration = AgentsConfiguration()) -> DomainService {
    DomainService(.agents, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        let keyRing = try environment.configuration.encryptionKeys.map { try KeyRing(configuration: $0) }
        let http = ProviderHTTPClient(connectionsPerHost: configuration.providerConnectionsPerHost)
        let engine = ReplyEngine(
            configuration: configuration,
            provider: ProviderClient(
                http: http.client, settings: configuration.provider,
                limiter: OrganizationConcurrencyLimiter(limit: configuration.concurrencyPerOrganization),
                logger: environment.logger, metrics: ProviderMetrics(registry: environment.metricsRegistry)),
            crm: environment.clients.client(for: .crm), keyRing: keyRing, logger: environment.logger)
        let metrics = AgentMetricsRecorder(database: environment.database, logger: environment.logger)
        AgentsHandlers(
            database: environment.database, configuration: configuration, keyRing: keyRing,
            identity: environment.clients.client(for: .identity), engine: engine, metrics: metrics,
            logger: environment.logger, replyConfigurations: ReplyConfigurations(ttl: configuration.replyCacheTTL)
        ).register(on: environment.router)
        // agent.created / agent.updated / agent.deleted to hooks and analytics.
        return [http, metrics, environment.outboxRelay()]
    }
}
