import Contracts
import Synchronization

/// What a domain service knows about itself, for its `Health` answer.
///
/// Written by ``DatabaseBootstrap`` (reachability, migrations) and read by the `Health`
/// handler; a small state behind a `Mutex`.
public final class ServiceState: Sendable {
    private struct Snapshot {
        var databaseReachable = false
        var migrationVersion: Int64 = 0
        var migrated = false
        var detail = "starting"
    }

    private let snapshot = Mutex(Snapshot())
    private let startedAt = ContinuousClock.now
    private let configuration: ServiceConfiguration

    public init(configuration: ServiceConfiguration) {
        self.configuration = configuration
    }

    /// Records that migrations reached `version`.
    public func markMigrated(version: Int64) {
        snapshot.withLock {
            $0.migrated = true
            $0.migrationVersion = version
            $0.databaseReachable = true
            $0.detail = ""
        }
    }

    /// Records the last database check; `detail` says why the service cannot serve (by
    /// default: "database unreachable", or "migrating" until the schema is ready).
    public func markDatabase(reachable: Bool, detail: String? = nil) {
        snapshot.withLock {
            $0.databaseReachable = reachable
            if let detail {
                $0.detail = detail
            } else if !reachable {
                $0.detail = "database unreachable"
            } else {
                $0.detail = $0.migrated ? "" : "migrating"
            }
        }
    }

    /// Whether the schema has been brought up to date since the process started.
    public var isMigrated: Bool {
        snapshot.withLock { $0.migrated }
    }

    /// Returns once the schema is migrated (background jobs wait for it before their first run).
    public func waitUntilMigrated() async throws {
        while !isMigrated {
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Serving once migrated and while the database answers.
    public var isServing: Bool {
        snapshot.withLock { $0.migrated && $0.databaseReachable }
    }

    /// The `Health` answer.
    public func health() -> Common.HealthResponse {
        let current = snapshot.withLock { $0 }
        var response = Common.HealthResponse()
        response.status = current.migrated && current.databaseReachable ? .serving : .notServing
        response.service = configuration.service
        response.version = configuration.version
        response.databaseReachable = current.databaseReachable
        response.migrationVersion = current.migrationVersion
        response.uptimeSeconds = (ContinuousClock.now - startedAt).components.seconds
        response.instance = configuration.instance
        response.detail = current.detail
        return response
    }
}
