import ArgumentParser
import Foundation
import Logging
import Postgres
import ServiceKit
import ServiceLifecycle
import UnixSignals

/// `smarterchatctl up`: the whole platform for development, in the foreground.
///
/// Starts PostgreSQL in `--data-dir` (created with initdb the first time, Unix socket only),
/// creates the services' roles and schemas, starts the seven executables with their sockets
/// in `--run-dir`, prefixes their logs, restarts one that dies, and on Ctrl-C stops the
/// services (they drain) and then PostgreSQL.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start PostgreSQL and the seven services (development).")

    @OptionGroup var options: PlatformOptions

    func run() async throws {
        let logger = Logger(label: "smarterchatctl")
        let development = try await DevelopmentPlatform.prepare(options: options, logger: logger)
        let supervisor = ServiceSupervisor(children: development.children(), logger: logger)
        print(
            """

            SmarterChat is starting.
              gateway:   http://127.0.0.1:\(options.httpPort)   (health: /healthz, metrics: /metrics)
              sockets:   \(development.runDirectory.path)
              database:  \(development.cluster.socketDirectory.path) (database smarterchat)
              status:    \(CommandLine.arguments[0]) status --run-dir \(options.runDir)
            Ctrl-C stops everything.

            """)
        fflush(nil)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: supervisor),
                    .init(
                        service: DemoOrganization(
                            runDirectory: development.runDirectory.path, httpPort: options.httpPort, logger: logger),
                        successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            try? await development.cluster.stop()
            throw error
        }
        print("stopping PostgreSQL")
        try await development.cluster.stop()
    }
}
