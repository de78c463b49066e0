#if canImport(Glibc)
import Glibc
#endif

/// How an ``RPCServer`` binds, whom it accepts and what it tolerates.
public struct RPCServerConfiguration: Sendable {
    /// The service name, the socket's file-name prefix, e.g. `identity`.
    public var serviceName: String
    /// This replica's number `n` in `<service>.<n>.sock`.
    public var replica: Int
    /// The run directory (`SMARTERCHAT_RUN_DIR`); created 0750 when missing.
    public var runDirectory: String
    /// Peer uids allowed to connect. Default: the server's own uid and root.
    public var allowedUIDs: Set<UInt32>
    /// Peer gids allowed to connect (a peer passes with an allowed uid or gid). Default: none.
    public var allowedGIDs: Set<UInt32>
    /// The largest frame accepted; a bigger one closes the connection. Default 4 MiB.
    public var maximumFrameSize: Int
    /// How long a connection with no calls in flight may stay silent before it is closed.
    public var idleTimeout: Duration
    /// How long a graceful shutdown waits for in-flight calls before closing connections.
    public var drainTimeout: Duration
    /// Event-loop threads. Default 1: the service's handlers run on the cooperative pool.
    public var eventLoopThreads: Int

    /// Creates a configuration with the documented defaults.
    public init(
        serviceName: String, replica: Int = 1, runDirectory: String,
        allowedUIDs: Set<UInt32>? = nil, allowedGIDs: Set<UInt32> = [],
        maximumFrameSize: Int = RPCFrame.defaultMaximumSize, idleTimeout: Duration = .seconds(300),
        drainTimeout: Duration = .seconds(30), eventLoopThreads: Int = 1
    ) {
        self.serviceName = serviceName
        self.replica = replica
        self.runDirectory = runDirectory
        self.allowedUIDs = allowedUIDs ?? [getuid(), 0]
        self.allowedGIDs = allowedGIDs
        self.maximumFrameSize = maximumFrameSize
        self.idleTimeout = idleTimeout
        self.drainTimeout = drainTimeout
        self.eventLoopThreads = eventLoopThreads
    }

    /// `<runDirectory>/<service>.<replica>.sock`.
    public var socketPath: String {
        RPCSocketPath.path(runDirectory: runDirectory, service: serviceName, replica: replica)
    }
}

/// The socket-file naming scheme shared by servers and the clients that discover them.
public enum RPCSocketPath {
    /// `<runDirectory>/<service>.<replica>.sock`.
    public static func path(runDirectory: String, service: String, replica: Int) -> String {
        "\(runDirectory)/\(service).\(replica).sock"
    }

    /// The replica number when `fileName` is `<service>.<n>.sock`, else nil.
    public static func replica(fromFileName fileName: String, service: String) -> Int? {
        let prefix = service + "."
        let suffix = ".sock"
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(suffix) else { return nil }
        let middle = fileName.dropFirst(prefix.count).dropLast(suffix.count)
        guard !middle.isEmpty, middle.allSatisfy(\.isNumber) else { return nil }
        return Int(middle)
    }
}
