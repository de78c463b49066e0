import Foundation

/// At most `limit` provider requests in flight per organization: one tenant's burst waits for
/// its own slots and cannot take every connection the service has.
actor OrganizationConcurrencyLimiter {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let limit: Int
    private var inFlight: [UUID: Int] = [:]
    private var waiters: [UUID: [Waiter]] = [:]
    private var nextID: UInt64 = 0

    init(limit: Int) { self.limit = max(1, limit) }

    /// Runs `body` holding one of the organization's slots.
    nonisolated func withSlot<T: Sendable>(
        organizationID: UUID, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await acquire(organizationID)
        do {
            let result = try await body()
            await release(organizationID)
            return result
        } catch {
            await release(organizationID)
            throw error
        }
    }

    /// How many requests of the organization are running (for tests and metrics).
    func running(_ organizationID: UUID) -> Int { inFlight[organizationID] ?? 0 }

    private func acquire(_ organizationID: UUID) async throws {
        if inFlight[organizationID, default: 0] < limit {
            inFlight[organizationID, default: 0] += 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters[organizationID, default: []].append(Waiter(id: id, continuation: continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id, organizationID) }
        }
    }

    private func cancel(_ id: UInt64, _ organizationID: UUID) {
        guard let index = waiters[organizationID]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters[organizationID]!.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
    }

    private func release(_ organizationID: UUID) {
        if var queue = waiters[organizationID], !queue.isEmpty {
            // The slot passes to the next waiter: the count stays.
            let next = queue.removeFirst()
            waiters[organizationID] = queue.isEmpty ? nil : queue
            next.continuation.resume()
            return
        }
        let count = (inFlight[organizationID] ?? 1) - 1
        inFlight[organizationID] = count > 0 ? count : nil
    }
}
