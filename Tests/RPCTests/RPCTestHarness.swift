import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@testable import RPC

#if canImport(Glibc)
import Glibc
#endif

/// Log lines kept in memory so tests can check what a server said.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func count(containing text: String) -> Int {
        lines.withLock { $0.filter { $0.contains(text) }.count }
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// The last lines, to explain a failed expectation.
    var transcript: Comment { Comment(rawValue: lines.withLock { $0.suffix(40).joined(separator: "\n") }) }

    func logger(_ label: String = "rpc-test") -> Logger {
        Logger(label: label) { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.append("\(event.level) \(event.message)")
        }
    }
}

/// A temporary run directory with servers started in it, shut down at the end.
///
/// Its waits and the clients' default timeout are generous on purpose: the full suite runs
/// every test in parallel on two cores, where a task can wait seconds for a thread. An
/// assertion about eventual behaviour still fails when the behaviour breaks, only later.
final class RPCTestHarness: Sendable {
    /// How long a wait for something that should happen soon may take before a test fails.
    static let patience: Duration = .seconds(30)

    let runDirectory: String
    let recorder = LogRecorder()
    private let running = Mutex<[(server: RPCServer, group: ServiceGroup, task: Task<Void, any Error>)]>([])

    init() {
        var template = Array("/tmp/rpc-test-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        runDirectory = String(cString: path!)
    }

    /// Starts a server for `router` as replica `replica` and waits until it listens.
    @discardableResult
    func startServer(
        replica: Int = 1, router: RPCRouter, configure: (inout RPCServerConfiguration) -> Void = { _ in }
    ) async throws -> RPCServer {
        var configuration = RPCServerConfiguration(serviceName: "echo", replica: replica, runDirectory: runDirectory)
        configure(&configuration)
        let server = RPCServer(configuration: configuration, router: router, logger: recorder.logger("server"))
        let quiet = Logger(label: "group") { _ in SwiftLogNoOpLogHandler() }
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [], logger: quiet))
        let task = Task { try await group.run() }
        running.withLock { $0.append((server, group, task)) }
        let deadline = ContinuousClock.now + Self.patience
        while !server.isListening {
            guard ContinuousClock.now < deadline else { throw RPCError(.unavailable, "server did not start") }
            try await Task.sleep(for: .milliseconds(2))
        }
        return server
    }

    /// Starts a graceful shutdown of `server` (GOAWAY, drain) and returns its run task.
    func drain(_ server: RPCServer) async -> Task<Void, any Error>? {
        guard let entry = running.withLock({ $0.first { $0.server === server } }) else { return nil }
        await entry.group.triggerGracefulShutdown()
        return entry.task
    }

    /// Stops `server` at once, as a crash would (its connections close, the socket file stays).
    func kill(_ server: RPCServer) async {
        guard let entry = running.withLock({ $0.first { $0.server === server } }) else { return }
        entry.task.cancel()
        _ = try? await entry.task.value
        running.withLock { $0.removeAll { $0.server === server } }
    }

    func client(_ configure: (inout RPCClientConfiguration) -> Void = { _ in }) -> RPCClient {
        var configuration = RPCClientConfiguration(
            serviceName: "echo", runDirectory: runDirectory, callerName: "tests",
            defaultTimeout: Self.patience)
        configure(&configuration)
        return RPCClient(configuration: configuration, logger: recorder.logger("client"))
    }

    /// Stops every server and removes the run directory.
    func tearDown() async {
        let entries = running.withLock { entries in
            defer { entries.removeAll() }
            return entries
        }
        for entry in entries {
            entry.task.cancel()
            _ = try? await entry.task.value
        }
        if let dir = opendir(runDirectory) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink("\(runDirectory)/\(name)") }
            }
            closedir(dir)
        }
        rmdir(runDirectory)
    }
}

/// Waits until `condition` holds, up to `timeout`; returns whether it did.
func eventually(timeout: Duration = RPCTestHarness.patience, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return true
}
