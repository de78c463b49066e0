import Foundation
import Synchronization
import Testing

@testable import IdentityService

@Suite("scrypt runs on a bounded set of dedicated queues")
struct PasswordWorkersTests {
    final class Gauge: Sendable {
        let state = Mutex((running: 0, peak: 0))

        func enter() {
            state.withLock {
                $0.running += 1; $0.peak = max($0.peak, $0.running)
            }
        }
        func leave() { state.withLock { $0.running -= 1 } }
        var peak: Int { state.withLock { $0.peak } }
    }

    struct Refused: Error {}

    @Test("at most `count` jobs run at once, every job runs, and errors reach the caller")
    func boundedConcurrency() async throws {
        let workers = PasswordWorkers(count: 2)
        let gauge = Gauge()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await workers.run {
                        gauge.enter()
                        defer { gauge.leave() }
                        Thread.sleep(forTimeInterval: 0.02)
                        return index
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.sorted() == Array(0..<8))
        #expect(gauge.peak <= 2 && gauge.peak >= 1)
        await #expect(throws: Refused.self) { try await workers.run { () throws -> Int in throw Refused() } }
    }
}
