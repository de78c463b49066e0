import Synchronization
import Testing

@testable import Postgres

@Suite("Batched deletes")
struct BatchedDeleteTests {
    /// A table of `rows` rows that `step` deletes from, recording each batch's size.
    final class Rows: Sendable {
        let left: Mutex<Int>
        let batches = Mutex<[Int]>([])
        init(_ rows: Int) { left = Mutex(rows) }

        func step(_ limit: Int) -> Int {
            let deleted = left.withLock { left in
                let deleted = min(left, limit)
                left -= deleted
                return deleted
            }
            batches.withLock { $0.append(deleted) }
            return deleted
        }
    }

    @Test("batches run until one deletes fewer rows than the batch size")
    func runsUntilDone() async throws {
        let rows = Rows(12)
        let total = try await BatchedDelete.run(batch: 5, pause: .zero) { rows.step($0) }
        #expect(total == 12)
        #expect(rows.batches.withLock { $0 } == [5, 5, 2])
        let exact = Rows(10)
        #expect(try await BatchedDelete.run(batch: 5, pause: .zero) { exact.step($0) } == 10)
        #expect(exact.batches.withLock { $0 } == [5, 5, 0])
    }

    @Test("a spent budget stops after the batch in progress; the rest is left for the next run")
    func budgetStops() async throws {
        let rows = Rows(12)
        let total = try await BatchedDelete.run(batch: 5, budget: .zero, pause: .zero) { rows.step($0) }
        #expect(total == 5)
        #expect(rows.left.withLock { $0 } == 7)
    }
}
