import ServiceKit

/// `smarterchat-hooks`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum HooksApp {
    static func main() async throws {
        try await hooksService().runAsMain()
    }
}
