import ServiceKit

/// `smarterchat-crm`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum CRMApp {
    static func main() async throws {
        try await crmService().runAsMain()
    }
}
