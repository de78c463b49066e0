import ArgumentParser
import Contracts
import Foundation
import Logging
import RPC
import ServiceKit

/// `smarterchatctl status`: each service's health, over its RPC socket.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each service's health; exits non-zero when one is not serving.")

    @Option(help: "The RPC socket directory (SMARTERCHAT_RUN_DIR).")
    var runDir = ProcessInfo.processInfo.environment["SMARTERCHAT_RUN_DIR"] ?? "./.run"

    @Option(help: "Check only this service (e.g. for a probe).")
    var service: String?

    @Option(help: "Seconds to wait for each service.")
    var timeout = 2.0

    func run() async throws {
        let runDirectory = URL(fileURLWithPath: runDir).standardizedFileURL.path
        let services = PlatformService.all.filter { service == nil || $0.name == service }
        guard !services.isEmpty else { throw ValidationError("unknown service '\(service ?? "")'") }
        var logger = Logger(label: "smarterchatctl")
        logger.logLevel = .critical
        var healthy = true
        print("SERVICE        STATUS        INSTANCE          MIGRATION  UPTIME  DETAIL")
        for service in services {
            let client = RPCClient(
                configuration: RPCClientConfiguration(
                    serviceName: service.name, runDirectory: runDirectory, callerName: "smarterchatctl"),
                logger: logger)
            defer { client.shutdown() }
            do {
                let health = try await client.call(
                    service.health, Common.HealthRequest(), metadata: CallMetadata(),
                    timeout: .milliseconds(Int(timeout * 1000)))
                let serving = health.status == .serving
                healthy = healthy && serving
                print(
                    row(
                        service.name, serving ? "serving" : "not_serving", health.instance,
                        "\(health.migrationVersion)", "\(health.uptimeSeconds)s", health.detail))
            } catch {
                healthy = false
                let code = (error as? RPCError).map { "\($0.code)" } ?? "\(error)"
                print(row(service.name, "down", "-", "-", "-", code))
            }
        }
        if !healthy { throw ExitCode(1) }
    }

    private func row(_ columns: String...) -> String {
        let widths = [15, 14, 18, 11, 8]
        return columns.enumerated().map { index, text in
            index < widths.count ? text.padding(toLength: widths[index], withPad: " ", startingAt: 0) : text
        }.joined()
    }
}
