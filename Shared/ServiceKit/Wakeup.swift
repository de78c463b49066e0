import Logging
import Postgres
import Synchronization

/// Wakes one waiting loop of this process early when work was just queued (otherwise it polls
/// at its own interval): the reply and delivery workers, the outbox relay's loops. A signal is
/// never lost: one that comes while nobody waits (or while a wait is ending) makes the next
/// wait return at once. Waiting costs no wake-up until the signal or the timeout.
public final class Wakeup: Sendable {
    private struct State {
        /// A signal nobody has taken yet.
        var pending = false
        /// The waiting worker.
        var continuation: CheckedContinuation<Bool, Never>?
        /// A wait ended (its timeout) before its waiter got to wait: the waiter returns at once.
        var abandoned = false
    }

    private let waiter = Mutex(State())

    /// The waiting worker's continuation, taken; when nobody waits yet, sets `flag` instead
    /// (a signal kept for the next wait, or a wait told not to start).
    private func takeWaiter(elseSet flag: WritableKeyPath<State, Bool>) -> CheckedContinuation<Bool, Never>? {
        waiter.withLock { state in
            if let continuation = state.continuation {
                state.continuation = nil
                return continuation
            }
            state[keyPath: flag] = true
            return nil
        }
    }

    public init() {}

    /// Wakes the worker, or makes its next wait return at once.
    public func signal() {
        takeWaiter(elseSet: \.pending)?.resume(returning: true)
    }

    /// Returns when signalled (true) or after `timeout` (false).
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let now = self.waiter.withLock { state -> Bool? in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        if state.abandoned {
                            state.abandoned = false
                            return false
                        }
                        state.continuation = continuation
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            var signalled = false
            if let first = await group.next(), let first { signalled = first }
            group.cancelAll()
            // The waiter must end whoever won: resumed as timed out if it still waits, told
            // not to wait if it has not started. Neither touches `pending`, so a signal that
            // comes meanwhile is kept for the next wait (clearing it here lost such signals:
            // the worker then slept until its poll interval).
            takeWaiter(elseSet: \.abandoned)?.resume(returning: false)
            for await result in group {
                if let result { signalled = signalled || result }
            }
            waiter.withLock { $0.abandoned = false }
            return signalled
        }
    }
}

extension Wakeup {
    /// How long a worker that found nothing to take, and was not woken during its last wait,
    /// sleeps next: until its next work falls due (`untilDue`, read from the database; nil when
    /// none is queued), never less than `minimum`, at most `maximum` (what a lost wake-up can
    /// cost: one from another replica, say). Work already due that
    /// the worker could not take (another replica holds it, or its slots are full) gets `poll`,
    /// the worker's pace when busy, instead of a tight loop.
    public static func idleTimeout(
        untilDue: Duration?, poll: Duration, minimum: Duration, maximum: Duration
    ) -> Duration {
        guard let untilDue else { return maximum }
        if untilDue <= .zero { return min(poll, maximum) }
        return min(max(untilDue, minimum), maximum)
    }

    /// ``idleTimeout(untilDue:poll:minimum:maximum:)`` with the due time that `untilDue` reads
    /// from `database`; `poll` when that read fails.
    public static func idleTimeout(
        database: PostgresClient, logger: Logger, poll: Duration, minimum: Duration, maximum: Duration,
        untilDue: @escaping @Sendable (PostgresConnection) async throws -> Duration?
    ) async -> Duration {
        do {
            let due = try await database.withConnection { try await untilDue($0) }
            return idleTimeout(untilDue: due, poll: poll, minimum: minimum, maximum: maximum)
        } catch {
            logger.warning("reading when work falls due failed", metadata: ["error": "\(error)"])
            return poll
        }
    }
}
