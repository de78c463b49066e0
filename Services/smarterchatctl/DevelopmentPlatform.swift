import Cryptography
import Foundation
import Logging
import Postgres
import ServiceKit

/// The development platform's moving parts: PostgreSQL in `--data-dir`, the services' roles
/// and schemas, the run directory, and how each executable is started.
struct DevelopmentPlatform: Sendable {
    let cluster: LocalPostgresCluster
    let runDirectory: URL
    let httpPort: Int
    /// Whether this command started PostgreSQL (and so should stop it when done).
    let startedCluster: Bool
    /// `SMARTERCHAT_ENCRYPTION_KEYS` for the services (``developmentKeys(in:)``).
    let encryptionKeys: String
    static let database = "smarterchat"

    /// Starts PostgreSQL (initdb the first time), creates the database, the services' login
    /// roles and schemas (idempotent), and the run directory (0750).
    static func prepare(options: PlatformOptions, logger: Logger) async throws -> DevelopmentPlatform {
        let cluster = try LocalPostgresCluster(
            folder: URL(fileURLWithPath: options.dataDir), durable: true, logger: logger)
        if !cluster.isInitialized {
            print("creating the development database in \(cluster.folder.path)")
            try await cluster.initialize()
        }
        var started = false
        if !cluster.isRunning {
            try await cluster.start()
            started = true
        }
        try await cluster.createDatabase(named: Self.database, logger: logger)
        let admin = PostgresClient(
            configuration: cluster.configuration(database: Self.database, poolSize: 1), logger: logger)
        do {
            for service in PlatformService.all {
                try await ServiceSchemaProvisioner.provision(service: service.name, using: admin, logger: logger)
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        let runDirectory = URL(fileURLWithPath: options.runDir).standardizedFileURL
        try FileManager.default.createDirectory(
            at: runDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        return DevelopmentPlatform(
            cluster: cluster, runDirectory: runDirectory, httpPort: options.httpPort, startedCluster: started,
            encryptionKeys: try developmentKeys(in: cluster.folder))
    }

    /// The master keys that seal secrets at rest (TOTP secrets, provider keys, channel
    /// tokens): `SMARTERCHAT_ENCRYPTION_KEYS` when set, else a key generated once into
    /// `<data-dir>/encryption-keys` (0600) so that secrets stay readable across restarts.
    static func developmentKeys(in folder: URL) throws -> String {
        if let configured = ProcessInfo.processInfo.environment["SMARTERCHAT_ENCRYPTION_KEYS"], !configured.isEmpty {
            return configured
        }
        let file = folder.appendingPathComponent("encryption-keys")
        if let existing = try? String(contentsOf: file, encoding: .utf8) {
            let keys = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !keys.isEmpty { return keys }
        }
        let keys = "dev1:\(Base64.encode(SecureRandom.bytes(count: 32)))"
        FileManager.default.createFile(
            atPath: file.path, contents: Data((keys + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return keys
    }

    /// The folder holding the executables: the one `smarterchatctl` itself runs from.
    static var binDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The `SMARTERCHAT_*` settings every executable gets.
    var environment: [String: String] {
        [
            "SMARTERCHAT_RUN_DIR": runDirectory.path,
            "SMARTERCHAT_PG_HOST": cluster.socketDirectory.path,
            "SMARTERCHAT_PG_PORT": "\(cluster.port)",
            "SMARTERCHAT_PG_DATABASE": Self.database,
            "SMARTERCHAT_HTTP_PORT": "\(httpPort)",
            "SMARTERCHAT_ENCRYPTION_KEYS": encryptionKeys,
        ]
    }

    /// The seven executables, domain services first, the gateway last.
    func children() -> [ServiceSupervisor.Child] {
        let base = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        return (PlatformService.all.map(\.name) + ["gateway"]).map { name in
            ServiceSupervisor.Child(
                name: name, executable: Self.binDirectory.appendingPathComponent("smarterchat-\(name)"),
                environment: base)
        }
    }
}
