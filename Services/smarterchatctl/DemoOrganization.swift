import Contracts
import Foundation
import Logging
import RPC
import ServiceKit
import ServiceLifecycle

/// Creates the demo organisation of `smarterchatctl up` once identity serves, and prints its
/// login. Signing up again on a later `up` answers ALREADY_EXISTS: the login is the same.
final class DemoOrganization: Service, Sendable {
    static let slug = "demo"
    static let email = "demo@smarterchat.local"
    static let password = "demo-password-2026"

    private let runDirectory: String
    private let httpPort: Int
    private let logger: Logger

    init(runDirectory: String, httpPort: Int, logger: Logger) {
        self.runDirectory = runDirectory
        self.httpPort = httpPort
        self.logger = logger
    }

    func run() async throws {
        let client = RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: "identity", runDirectory: runDirectory, callerName: "smarterchatctl"),
            logger: logger)
        defer { client.shutdown() }
        try? await cancelWhenGracefulShutdown {
            while true {
                let health = try? await client.call(
                    Identity.Service.health, Common.HealthRequest(), metadata: CallMetadata(), timeout: .seconds(1))
                if health?.status == .serving { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            var request = Identity.SignUpRequest()
            request.organizationName = "Demo"
            request.organizationSlug = Self.slug
            request.email = Self.email
            request.password = Self.password
            request.fullName = "Demo Admin"
            do {
                _ = try await client.call(
                    Identity.Service.signUp, request, metadata: CallMetadata(), timeout: .seconds(30))
            } catch let error as RPCError where error.code == .alreadyExists {
                // Created by an earlier `up`.
            } catch {
                self.logger.warning("could not create the demo organisation", metadata: ["error": "\(error)"])
                return
            }
            let webchat = await DemoAgent(runDirectory: self.runDirectory, logger: self.logger).prepare(
                email: Self.email, password: Self.password)
            let chat =
                webchat.map {
                    """
                      Web chat of the demo agent (offline responder, no network needed): embed
                        <script src="http://127.0.0.1:\(self.httpPort)/webchat/widget.js" data-channel="\($0)"></script>

                    """
                } ?? ""
            print(
                """

                \(chat)Demo organisation ready: log in with
                  curl -s http://127.0.0.1:\(self.httpPort)/api/v1/auth/login -H 'content-type: application/json' \\
                    -d '{"email": "\(Self.email)", "password": "\(Self.password)"}'

                """)
            fflush(nil)
        }
    }
}
