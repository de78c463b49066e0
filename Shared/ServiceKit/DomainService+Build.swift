import Configuration
import Contracts
import Foundation
import Logging
import Postgres
import RPC
import ServiceLifecycle
import UnixSignals

extension DomainService {
    /// Builds the service's process: every long-running part as a `Service` in one group,
    /// started in order and stopped in reverse on SIGTERM/SIGINT.
    ///
    /// Tests call this too, with their own configuration.
    public func build(
        configuration: ServiceConfiguration, metrics: ServiceMetrics, logger: Logger
    ) throws -> ServiceGroup {
        let database = PostgresClient(configuration: configuration.database, logger: logger)
        let state = ServiceState(configuration: configuration)
        let router = RPCRouter(service: service.descriptor)
        router.register(service.health) { _, _ in state.health() }
        let backlog = BacklogGauges(registry: metrics.registry)
        let pool = DatabasePoolMetrics(registry: metrics.registry)
        router.register(service.metrics) { _, _ in
            if state.isServing { await backlog.refresh(database: database, logger: logger) }
            pool.update(database.statistics)
            var response = Common.MetricsResponse()
            response.exposition = metrics.exposition()
            return response
        }
        // Until the schema is migrated every call but Health and Metrics answers UNAVAILABLE
        // ("starting") instead of running against tables that may not exist yet.
        router.refuseCalls(except: [service.health.fullName, service.metrics.fullName]) {
            state.isMigrated ? nil : "\(name) is starting: its schema is being migrated"
        }
        let clients = ServiceClients(runDirectory: configuration.runDirectory, callerName: name, logger: logger)
        let environment = DomainServiceEnvironment(
            configuration: configuration, router: router, database: database, state: state, logger: logger,
            clients: clients, backlog: backlog, metricsRegistry: metrics.registry)
        let background = try install(environment)
        let bootstrap = DatabaseBootstrap(
            schema: name, migrations: migrations, database: database, state: state, logger: logger)
        let server = RPCServer(
            configuration: RPCServerConfiguration(
                serviceName: name, replica: configuration.replica, runDirectory: configuration.runDirectory,
                allowedUIDs: configuration.allowedUIDs.isEmpty ? nil : Set(configuration.allowedUIDs),
                allowedGIDs: Set(configuration.allowedGIDs)),
            router: router,
            eventLoopGroup: EventLoopsAsGlobalExecutor.isInstalled ? EventLoopsAsGlobalExecutor.group : nil,
            logger: logger)
        let services: [any Service] = [database] + clients.all + [bootstrap, server] + background
        return ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
    }

    /// The whole of a service's `main`: reads `SMARTERCHAT_*`, bootstraps logging and
    /// metrics, builds the service and runs it until SIGTERM/SIGINT.
    ///
    /// With the argument `migrate`, applies the service's migrations and exits instead
    /// (`smarterchatctl migrate` runs this for every service).
    public func runAsMain(arguments: [String] = CommandLine.arguments) async throws {
        EventLoopsAsGlobalExecutor.install(mode: ProcessInfo.processInfo.environment["SMARTERCHAT_EXECUTOR"])
        let configuration = ServiceConfiguration(
            service: name, reader: ConfigReader(provider: EnvironmentVariablesProvider()))
        bootstrapLogging(configuration)
        let logger = Logger(label: "smarterchat.\(name)")
        if arguments.dropFirst().first == "migrate" {
            let version = try await migrateOnce(configuration: configuration, logger: logger)
            logger.info("migrated", metadata: ["db.schema": "\(name)", "db.migration": "\(version)"])
            return
        }
        let metrics = ServiceMetrics.bootstrap()
        logger.info(
            "starting", metadata: ["socket": "\(configuration.socketPath)", "version": "\(configuration.version)"])
        try await build(configuration: configuration, metrics: metrics, logger: logger).run()
    }
}

extension DomainService {
    /// Applies the migrations once, without retrying, and returns the schema's version.
    func migrateOnce(configuration: ServiceConfiguration, logger: Logger) async throws -> Int {
        var settings = configuration.database
        settings.poolSize = 1
        let database = PostgresClient(configuration: settings, logger: logger)
        return try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                try await database.run()
                return nil
            }
            defer { group.cancelAll() }
            let version = try await Migrator(client: database, schema: name, logger: logger)
                .migrate(Migration.load(from: migrations))
            await database.close()
            return version
        }
    }
}
