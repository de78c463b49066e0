import ServiceKit

/// `smarterchat-conversations`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum ConversationsApp {
    static func main() async throws {
        try await conversationsService().runAsMain()
    }
}
