import Foundation
import Logging
import Postgres
import ServiceKit
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real platform for integration tests: a temporary PostgreSQL, the six services' roles
/// and schemas, and the seven executables started from the build folder on a temporary run
/// directory and a free HTTP port.
///
/// The executables come from `SMARTERCHAT_BIN_DIR` (set by `make test`), else from the
/// folder holding the test bundle (both are `swift build --show-bin-path`).
final class RunningPlatform: @unchecked Sendable {
    // @unchecked: `processes` is only touched under `lock`.
    let postgres: TemporaryPostgres
    let database: PostgresConfiguration
    let runDirectory: URL
    let httpPort: Int
    private let lock = NSLock()
    private var processes: [String: Process] = [:]
    private let logDirectory: URL
    /// Extra environment variables for every executable (e.g. SMARTERCHAT_ENCRYPTION_KEYS).
    let environment: [String: String]

    static let executables = [
        "identity", "agents", "conversations", "crm", "hooks", "analytics", "gateway",
    ]

    private init(
        postgres: TemporaryPostgres, database: PostgresConfiguration, runDirectory: URL, httpPort: Int,
        environment: [String: String] = [:]
    ) {
        self.environment = environment
        self.postgres = postgres
        self.database = database
        self.runDirectory = runDirectory
        self.httpPort = httpPort
        self.logDirectory = runDirectory.appendingPathComponent("logs")
    }

    /// Starts PostgreSQL, provisions the six services and starts `executables` (default: all
    /// seven).
    static func start(
        executables: [String] = RunningPlatform.executables, environment: [String: String] = [:]
    ) async throws -> RunningPlatform {
        let postgres = try await TemporaryPostgres.start()
        let admin = try await postgres.createDatabase(named: "smarterchat")
        try await provisionServices(admin: admin, services: PlatformService.all.map(\.name))
        let runDirectory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("smarterchat-run-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let platform = RunningPlatform(
            postgres: postgres, database: admin, runDirectory: runDirectory, httpPort: try freePort(),
            environment: environment)
        try FileManager.default.createDirectory(at: platform.logDirectory, withIntermediateDirectories: true)
        for name in executables { try platform.start(name) }
        return platform
    }

    /// The folder of the built executables.
    static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["SMARTERCHAT_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return Bundle.main.bundleURL.deletingLastPathComponent()
    }

    /// Starts (or restarts) one executable, e.g. `crm` or `gateway`.
    func start(_ name: String) throws {
        let process = Process()
        process.executableURL = Self.binDirectory.appendingPathComponent("smarterchat-\(name)")
        var environment = ProcessInfo.processInfo.environment
        environment["SMARTERCHAT_RUN_DIR"] = runDirectory.path
        environment["SMARTERCHAT_PG_HOST"] = postgres.folder.path
        environment["SMARTERCHAT_PG_PORT"] = "\(postgres.port)"
        environment["SMARTERCHAT_PG_DATABASE"] = database.database
        environment["SMARTERCHAT_HTTP_PORT"] = "\(httpPort)"
        environment["SMARTERCHAT_LOG_LEVEL"] = "info"
        // scrypt at 2^14 (16 MiB, ~40 ms) instead of 2^17: these flows test what identity does with
        // a password, not its cost (the cost is tested in CryptographyTests and IdentityTests), and
        // at full cost a sign-up under the parallel suite's load can exceed the gateway's 10 s.
        environment["SMARTERCHAT_IDENTITY_SCRYPT_LOG_N"] = "14"
        environment.merge(self.environment) { _, extra in extra }
        process.environment = environment
        let log = logDirectory.appendingPathComponent("\(name).log")
        if !FileManager.default.fileExists(atPath: log.path) {
            FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { processes[name] = process }
    }

    /// Sends `signal` to one executable and waits for it to exit.
    func kill(_ name: String, signal: Int32 = SIGKILL) async {
        guard let process = lock.withLock({ processes[name] }) else { return }
        Foundation.kill(process.processIdentifier, signal)
        await Self.exit(of: process)
    }

    /// Waits for `process` to exit without blocking a thread of the cooperative pool.
    static func exit(of process: Process) async {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// The process id of a running executable.
    func pid(of name: String) -> Int32? {
        lock.withLock { processes[name]?.processIdentifier }
    }

    /// What one executable has logged so far.
    func log(of name: String) -> String {
        (try? String(contentsOf: logDirectory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// GET `path` on the gateway: status code and body.
    func get(_ path: String) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)\(path)")!)
        request.timeoutInterval = 5
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    func waitUntil(
        timeout: Duration, _ condition: @escaping @Sendable () async -> Bool
    ) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    /// Stops every executable (SIGTERM, then SIGKILL) and PostgreSQL, and removes the folders.
    func stop() async {
        let running = lock.withLock { Array(processes.values) }
        for process in running where process.isRunning { Foundation.kill(process.processIdentifier, SIGTERM) }
        let end = ContinuousClock.now + .seconds(10)
        for process in running {
            while process.isRunning && ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        await postgres.destroy()
        try? FileManager.default.removeItem(at: runDirectory)
    }

    /// A TCP port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Creates every service's role and schema in `admin`'s database.
func provisionServices(admin: PostgresConfiguration, services: [String]) async throws {
    let client = PostgresClient(configuration: admin, logger: Logger(label: "provision"))
    do {
        for service in services {
            try await ServiceSchemaProvisioner.provision(
                service: service, using: client, logger: Logger(label: "provision"))
        }
    } catch {
        await client.close()
        throw error
    }
    await client.close()
}
