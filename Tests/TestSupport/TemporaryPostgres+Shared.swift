import Foundation
import Logging
import Synchronization

extension TemporaryPostgres {
    /// The process-wide server, started on first use and removed when the process exits.
    ///
    /// Cheap to call from every test: the first call pays for `initdb` and start (about a
    /// second or two); give each test its own database with ``createDatabase(named:)``.
    /// Do not stop or restart it: other tests use it concurrently.
    public static func shared() async throws -> TemporaryPostgres {
        try await SharedTemporaryPostgres.instance.server()
    }
}

/// Starts the shared server once, even when many tests ask at the same time.
actor SharedTemporaryPostgres {
    static let instance = SharedTemporaryPostgres()
    private var starting: Task<TemporaryPostgres, any Error>?

    func server() async throws -> TemporaryPostgres {
        if let starting { return try await starting.value }
        let task = Task { () throws -> TemporaryPostgres in
            let server = try await TemporaryPostgres.start(logger: Logger(label: "TemporaryPostgres.shared"))
            sharedServerAtExit.withLock { $0 = server }
            atexit { sharedServerAtExit.withLock { $0 }?.stopAndRemoveSync() }
            return server
        }
        starting = task
        return try await task.value
    }
}

/// The shared server, for the exit handler (which cannot capture context).
let sharedServerAtExit = Mutex<TemporaryPostgres?>(nil)
