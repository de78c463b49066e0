import ServiceKit

/// `smarterchat-identity`: reads `SMARTERCHAT_*`, runs the service until SIGTERM/SIGINT.
@main
enum IdentityApp {
    static func main() async throws {
        try await identityService().runAsMain()
    }
}
