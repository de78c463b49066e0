import NIOCore
import NIOPosix
import Synchronization

/// Runs Swift concurrency's global executor on NIO's singleton event loops, so a task that
/// awaits network I/O resumes on the thread that did the I/O instead of waking a thread of
/// the cooperative pool and hopping back.
///
/// On 2 cores an authenticated request through the gateway used to wake about seven threads
/// (HTTP loop, pool, RPC client loop, identity's loop, identity's pool, and back); with the
/// loops as the global executor most of those become calls on a thread that is already
/// awake (docs/operations.md, "Executors"). Every service's `main` calls ``install()``
/// first; `SMARTERCHAT_EXECUTOR=cooperative` keeps Swift's own pool.
///
/// What it asks of the code: nothing may block a task's thread (it is an event loop now);
/// blocking work (libpq, scrypt) already runs on threads of its own.
public enum EventLoopsAsGlobalExecutor {
    private static let installed = Atomic<Bool>(false)

    /// Whether ``install()`` took over the global executor in this process.
    public static var isInstalled: Bool { installed.load(ordering: .relaxed) }

    /// The event loops RPC servers and clients should use: the singleton group, which runs
    /// tasks too once installed.
    public static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    /// Installs the singleton event loops as the global executor unless `mode` is
    /// `cooperative`; returns whether they run tasks now. Call once, first thing in `main`.
    @discardableResult
    public static func install(mode: String?) -> Bool {
        guard (mode ?? "event-loops") != "cooperative" else { return false }
        guard !installed.load(ordering: .relaxed) else { return true }
        let done = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        installed.store(done, ordering: .relaxed)
        return done
    }
}
