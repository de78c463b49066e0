import ServiceKit

/// `smarterchat-agents`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum AgentsApp {
    static func main() async throws {
        try await agentsService().runAsMain()
    }
}
