import Configuration
import ServiceKit

/// `smarterchat-conversations`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum ConversationsApp {
    static func main() async throws {
        let delivery = DeliveryConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider()))
        try await conversationsService(delivery: delivery).runAsMain()
    }
}
