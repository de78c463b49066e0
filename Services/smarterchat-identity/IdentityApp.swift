import Configuration
import ServiceKit

/// `smarterchat-identity`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum IdentityApp {
    static func main() async throws {
        let configuration = IdentityConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider()))
        try await identityService(configuration: configuration).runAsMain()
    }
}
