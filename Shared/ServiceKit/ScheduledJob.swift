import Logging
import Postgres
import ServiceLifecycle

/// A job a service runs on a schedule (partition upkeep, retention), as a `Service`.
///
/// Waits until the schema is migrated, runs at once, then every `interval`. A failed run is
/// logged and retried at the next tick; it never stops the service. Stops on graceful
/// shutdown, letting a run in progress finish.
public final class ScheduledJob: Service, Sendable {
    private let name: String
    private let interval: Duration
    private let state: ServiceState
    private let logger: Logger
    private let work: @Sendable () async throws -> Void

    /// A job called `name` (for logs) running `work` every `interval`.
    public init(
        name: String, every interval: Duration, state: ServiceState, logger: Logger,
        work: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.state = state
        self.logger = logger
        self.work = work
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await self.state.waitUntilMigrated()
            while true {
                do {
                    try await self.work()
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.warning("scheduled job failed", metadata: ["job": "\(self.name)", "error": "\(error)"])
                }
                try await Task.sleep(for: self.interval)
            }
        }
    }
}

extension DomainServiceEnvironment {
    /// A job keeping `ensure_monthly_partitions(monthsAhead)` of the service's schema current:
    /// the partitions for this month and the next `monthsAhead` exist before rows need them.
    public func monthlyPartitionUpkeep(monthsAhead: Int = 3, every interval: Duration = .seconds(3600)) -> ScheduledJob
    {
        ScheduledJob(name: "partition-upkeep", every: interval, state: state, logger: logger) { [database] in
            _ = try await database.query("SELECT ensure_monthly_partitions($1::int)", [monthsAhead])
        }
    }
}
