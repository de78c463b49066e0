import Hummingbird
import Logging
import RPC
import ServiceKit

/// Builds the gateway: the HTTP application and one RPC client pool per domain service.
func buildGateway(
    configuration: GatewayConfiguration, metrics: ServiceMetrics, logger: Logger
) -> some ApplicationProtocol {
    let clients = ServiceClients(runDirectory: configuration.service.runDirectory, logger: logger)
    let router = Router(context: GatewayRequestContext.self)
    let http = HTTPMetrics(registry: metrics.registry)
    router.add(middleware: HTTPMetricsMiddleware(metrics: http))
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(
        middleware: ClientAddressMiddleware(policy: ClientAddressPolicy(trustedProxies: configuration.trustedProxies)))
    router.add(middleware: APIErrorMiddleware())
    LivenessRoutes().register(on: router)
    HealthRoutes(clients: clients, timeout: configuration.healthTimeout).register(on: router)
    MetricsRoutes(clients: clients, gateway: metrics).register(on: router)
    let validator = TokenValidator(identity: clients.identity)
    let authenticated = AuthRoutes(identity: clients.identity, validator: validator).register(on: router)
    LeadRoutes(crm: clients.client(.crm)).register(on: authenticated)
    AgentRoutes(agents: clients.client(.agents)).register(on: authenticated)
    WebhookRoutes(conversations: clients.conversations, ratePerSecond: configuration.callbackRate, metrics: http)
        .register(on: router)
    WebchatRoutes(conversations: clients.conversations, metrics: http).register(on: router)
    ChannelRoutes(conversations: clients.conversations).register(on: authenticated)
    StreamRoutes(conversations: clients.conversations, validator: validator).register(on: authenticated)
    ConversationRoutes(conversations: clients.conversations).register(on: authenticated)
    return Application(
        router: router,
        server: .loopBoundHTTP1(),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "smarterchat"),
        services: clients.all.map { $0.client },
        logger: logger)
}

/// The gateway's RPC client pools, one per domain service.
struct ServiceClients: Sendable {
    /// A service and the pool that reaches its replicas.
    struct Entry: Sendable {
        var service: PlatformService
        var client: RPCClient
    }

    let all: [Entry]

    /// The client of `service`.
    func client(_ service: PlatformService) -> RPCClient {
        all.first { $0.service == service }!.client
    }

    init(runDirectory: String, logger: Logger) {
        all = PlatformService.all.map { service in
            Entry(
                service: service,
                client: RPCClient(
                    configuration: RPCClientConfiguration(
                        serviceName: service.name, runDirectory: runDirectory, callerName: "gateway"),
                    logger: logger))
        }
    }
}
