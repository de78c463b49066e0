import Foundation
import Synchronization

/// One dedicated OS thread that runs blocking work (libpq calls) in submission order, and a
/// Swift concurrency `TaskExecutor` on that same thread.
///
/// Each database connection owns one worker, so a blocking `PQexecPrepared` never occupies a
/// Swift concurrency or NIO event-loop thread. ``PostgresClient/withConnection(logger:_:)``
/// runs its body with the leased connection's worker as the task's executor preference: the
/// body's statements then run inline on this thread (``run(_:)`` sees it is already here),
/// instead of two thread hops per statement (caller → worker → caller). The thread ends after
/// ``stop()`` once its queue is empty.
final class BlockingWorker: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `stopping` are only read or written while holding `condition`;
    // `thread` is atomic.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    /// The worker thread's `pthread_t` (0 until it starts).
    private let thread = Atomic<UInt>(0)

    private init() {}

    /// Starts a worker thread with `name` (visible in debuggers and `top -H`).
    static func start(name: String) -> BlockingWorker {
        let worker = BlockingWorker()
        let thread = Thread {
            // Named from inside: a new thread otherwise shows its creator's name (Linux).
            Thread.current.name = name
            worker.loop()
        }
        thread.stackSize = 1 << 20
        thread.start()
        return worker
    }

    /// Whether the calling code runs on this worker's thread.
    var isCurrent: Bool {
        let id = thread.load(ordering: .acquiring)
        return id != 0 && pthread_equal(pthread_self(), pthread_t(id)) != 0
    }

    /// Queues `job`; it runs on the worker thread after the jobs queued before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the worker thread and returns its result to the awaiting task: inline
    /// when the task already runs here, else queued (two thread hops).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isCurrent { return try body() }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs a task's job on the worker thread, in order with the blocking jobs.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Lets the thread end once the jobs already queued have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        thread.store(UInt(pthread_self()), ordering: .releasing)
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
