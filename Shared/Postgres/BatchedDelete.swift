/// A purge run as a series of small DELETEs instead of one.
///
/// Each batch is its own statement on a connection outside a transaction, so it commits on
/// its own: a purge of an hour of a busy tenant's rows (millions at 500 messages a second)
/// never holds one long transaction, locks that many rows at once or writes its WAL in one
/// burst that every other commit waits behind.
public enum BatchedDelete {
    /// The rows a batch deletes by default.
    public static let defaultBatch = 5_000

    /// Calls `step` with the batch size until it deletes fewer rows than that (nothing is
    /// left) or `budget` has passed (the next run goes on), resting `pause` between batches;
    /// answers how many rows were deleted in all.
    ///
    /// - Parameter step: runs one DELETE of at most the given number of rows and answers how
    ///   many it deleted.
    public static func run(
        batch: Int = defaultBatch, budget: Duration = .seconds(600), pause: Duration = .milliseconds(10),
        _ step: (Int) async throws -> Int
    ) async throws -> Int {
        precondition(batch > 0, "a batch deletes at least one row")
        let deadline = ContinuousClock.now + budget
        var total = 0
        while true {
            let deleted = try await step(batch)
            total += deleted
            if deleted < batch || ContinuousClock.now >= deadline { return total }
            try await Task.sleep(for: pause)
        }
    }
}
