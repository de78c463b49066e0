import Foundation
import Logging
import Postgres
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Wakes the long polls of the web chat and console feeds when conversation_events rows of
/// their organization commit: one `LISTEN <schema>_conversation_events` connection per
/// process, fanned out to the waiting calls. A lost notification costs at most one
/// `pollInterval`: waiters look again anyway.
final class EventSignal: Service, Sendable {
    private enum Slot {
        case waiting(organizationID: UUID, continuation: CheckedContinuation<Void, Never>)
        case finished
    }

    private let database: PostgresClient
    private let channel: String
    private let state: ServiceState?
    private let logger: Logger
    private let slots = Mutex<[UUID: Slot]>([:])
    /// The longest a waiter sleeps without a notification before it looks again.
    let pollInterval: Duration

    init(
        database: PostgresClient, schema: String = "conversations", state: ServiceState?, logger: Logger,
        pollInterval: Duration = .seconds(1)
    ) {
        self.database = database
        self.channel = "\(schema)_conversation_events"
        self.state = state
        self.logger = logger
        self.pollInterval = pollInterval
    }

    func run() async throws {
        if let state { try await state.waitUntilMigrated() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for try await notification in try await self.database.notifications(channel: self.channel) {
                        self.wake(organization: UUID(canonicalText: notification.payload))
                    }
                } catch {
                    self.logger.notice("event listener stopped; reconnecting", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        wake(organization: nil)
    }

    /// Returns when an event of `organizationID` commits, or after `duration` (at most
    /// ``pollInterval``), or when the task is cancelled.
    func wait(organizationID: UUID, upTo duration: Duration) async {
        let id = UUID()
        let limit = min(duration, pollInterval)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.slots.withLock { slots -> Bool in
                        if case .finished = slots[id] {
                            slots[id] = nil
                            return true
                        }
                        slots[id] = .waiting(organizationID: organizationID, continuation: continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            self.finish(id)
            group.cancelAll()
        }
    }

    private func finish(_ id: UUID) {
        let continuation = slots.withLock { slots -> CheckedContinuation<Void, Never>? in
            switch slots[id] {
            case .waiting(_, let continuation):
                slots[id] = nil
                return continuation
            case .finished:
                slots[id] = nil
                return nil
            case nil:
                slots[id] = .finished
                return nil
            }
        }
        continuation?.resume()
    }

    /// Resumes the waiters of `organization` (all of them when nil).
    private func wake(organization: UUID?) {
        let woken = slots.withLock { slots -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, slot) in slots {
                guard case .waiting(let waiting, let continuation) = slot,
                    organization == nil || waiting == organization
                else { continue }
                slots[id] = .finished
                woken.append(continuation)
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }
}
