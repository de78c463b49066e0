import NIOCore

/// A Swift concurrency `TaskExecutor` that runs jobs on a NIO event loop.
///
/// A caller that runs under `withTaskExecutorPreference(client.taskExecutor)` issues its calls
/// from the client's event loop, so a call costs no thread hop on the client side: the request
/// is written and the response resumes the caller on the same thread.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    /// The event loop jobs run on.
    public let eventLoop: any EventLoop

    /// Creates an executor for `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs `job` on the event loop.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
