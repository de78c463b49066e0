import Configuration
import Foundation
import Hummingbird
import Logging
import RPC
import ServiceKit

/// `smarterchat-gateway`: reads `SMARTERCHAT_*`, serves HTTP until SIGTERM/SIGINT.
@main
enum GatewayApp {
    static func main() async throws {
        EventLoopsAsGlobalExecutor.install(mode: ProcessInfo.processInfo.environment["SMARTERCHAT_EXECUTOR"])
        let reader = ConfigReader(provider: EnvironmentVariablesProvider())
        let configuration = GatewayConfiguration(reader: reader)
        bootstrapLogging(configuration.service)
        let metrics = ServiceMetrics.bootstrap()
        let logger = Logger(label: "smarterchat.gateway")
        let app = buildGateway(configuration: configuration, metrics: metrics, logger: logger)
        logger.info("listening", metadata: ["http.port": "\(configuration.port)"])
        try await app.runService()
    }
}
