import Foundation

/// One dedicated OS thread that runs blocking work (libpq calls) in submission order.
///
/// Each database connection owns one worker, so a blocking `PQexecParams` never occupies a
/// Swift concurrency or NIO event-loop thread. The thread ends after ``stop()`` once its
/// queue is empty.
final class BlockingWorker: @unchecked Sendable {
    // @unchecked: `jobs` and `stopping` are only read or written while holding `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    private init() {}

    /// Starts a worker thread with `name` (visible in debuggers and `top -H`).
    static func start(name: String) -> BlockingWorker {
        let worker = BlockingWorker()
        let thread = Thread { worker.loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        return worker
    }

    /// Queues `job`; it runs on the worker thread after the jobs queued before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the worker thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Lets the thread end once the jobs already queued have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
