import ArgumentParser
import Foundation
import Logging
import Postgres
import ServiceKit

/// `smarterchatctl migrate`: applies every service's migrations without starting services.
///
/// Each service owns its migrations: this runs `smarterchat-<service> migrate`, which applies
/// them to its schema as its own role (under the schema's advisory lock) and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create roles and schemas (development) and apply every service's migrations.")

    @OptionGroup var options: PlatformOptions

    @Flag(help: "Use the database named by SMARTERCHAT_PG_* instead of the development one.")
    var external = false

    func run() async throws {
        let logger = Logger(label: "smarterchatctl")
        var environment = ProcessInfo.processInfo.environment
        var development: DevelopmentPlatform?
        if !external {
            let platform = try await DevelopmentPlatform.prepare(options: options, logger: logger)
            environment.merge(platform.environment) { _, new in new }
            development = platform
        }
        var failed: [String] = []
        for service in PlatformService.all {
            let process = Process()
            process.executableURL = DevelopmentPlatform.binDirectory.appendingPathComponent(
                "smarterchat-\(service.name)")
            process.arguments = ["migrate"]
            process.environment = environment
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 0 { failed.append(service.name) }
        }
        if let development, development.startedCluster { try await development.cluster.stop() }
        guard failed.isEmpty else {
            throw ValidationError("migrations failed for: \(failed.joined(separator: ", "))")
        }
        print("migrated: \(PlatformService.all.map(\.name).joined(separator: ", "))")
    }
}
