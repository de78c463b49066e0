import Dispatch
import Synchronization

/// Runs scrypt (hash and verify) on a few dedicated serial queues, off both the NIO event
/// loops (RPC handlers start on them) and Swift's cooperative pool.
///
/// One derivation at the default cost blocks a thread for about 0.3 s and takes 128 MiB; the
/// number of queues bounds both how many run at once and the memory they take. Further
/// logins wait their turn.
final class PasswordWorkers: Sendable {
    private let queues: [DispatchQueue]
    private let next = Atomic<Int>(0)

    /// Creates `count` serial queues (2 by default: this is a 2-core machine class).
    init(count: Int = 2) {
        queues = (0..<max(1, count)).map { DispatchQueue(label: "smarterchat.identity.scrypt.\($0)") }
    }

    /// Runs `body` on the next queue and answers its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let queue = queues[(index % queues.count + queues.count) % queues.count]
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
