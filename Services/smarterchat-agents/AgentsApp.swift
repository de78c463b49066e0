import Configuration
import ServiceKit

/// `smarterchat-agents`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum AgentsApp {
    static func main() async throws {
        let configuration = AgentsConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider()))
        try await agentsService(configuration: configuration).runAsMain()
    }
}
