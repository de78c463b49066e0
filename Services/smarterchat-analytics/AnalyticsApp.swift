import ServiceKit

/// `smarterchat-analytics`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum AnalyticsApp {
    static func main() async throws {
        try await analyticsService().runAsMain()
    }
}
