import Logging
import Postgres

extension PostgresClient {
    /// Calls `each` with every notification of `channel` until the task is cancelled. A
    /// listener that cannot be opened, or whose stream ends, is opened again a second later
    /// (``PostgresNotifications`` itself reopens a broken connection); notifications sent
    /// meanwhile are lost, so whoever is woken also looks for work on a timer. `ready` is
    /// called each time `LISTEN` is active.
    public func listenUntilCancelled(
        channel: String, logger: Logger, ready: (@Sendable () -> Void)? = nil,
        each: (PostgresNotification) -> Void
    ) async {
        while !Task.isCancelled {
            do {
                let notifications = try await self.notifications(channel: channel, logger: logger)
                ready?()
                for try await notification in notifications { each(notification) }
            } catch is CancellationError {
                return
            } catch {
                logger.debug(
                    "listener failed; polling meanwhile", metadata: ["channel": "\(channel)", "error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
