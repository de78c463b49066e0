/// How an ``RPCClient`` finds, connects to and calls the replicas of one service.
public struct RPCClientConfiguration: Sendable {
    /// The service to call, e.g. `identity`: replicas are `<runDirectory>/identity.<n>.sock`.
    public var serviceName: String
    /// The run directory (`SMARTERCHAT_RUN_DIR`).
    public var runDirectory: String
    /// Put into ``CallMetadata/caller`` when a call leaves it empty, e.g. `gateway`.
    public var callerName: String
    /// How often `run()` rescans the run directory for replicas. Default 1 s (a call that finds
    /// no replica rescans at once, so this bounds only how late a new replica gets traffic).
    public var discoveryInterval: Duration
    /// How often `run()` pings each connection; an unanswered ping closes it. Default 10 s.
    public var keepAliveInterval: Duration
    /// How long a connect may take. Default 1 s.
    public var connectTimeout: Duration
    /// The first reconnect delay after a failed connect; doubles up to ``maximumBackoff``.
    public var initialBackoff: Duration
    /// The longest reconnect delay. Default 2 s.
    public var maximumBackoff: Duration
    /// The timeout of calls that pass none; nil waits forever. Default 30 s.
    public var defaultTimeout: Duration?
    /// Attempts per call, across replicas, for transport failures of idempotent calls.
    public var maximumAttempts: Int
    /// The largest frame accepted from a server. Default 4 MiB.
    public var maximumFrameSize: Int

    /// Creates a configuration with the documented defaults.
    public init(
        serviceName: String, runDirectory: String, callerName: String = "",
        discoveryInterval: Duration = .seconds(1), keepAliveInterval: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(1), initialBackoff: Duration = .milliseconds(50),
        maximumBackoff: Duration = .seconds(2), defaultTimeout: Duration? = .seconds(30), maximumAttempts: Int = 3,
        maximumFrameSize: Int = RPCFrame.defaultMaximumSize
    ) {
        self.serviceName = serviceName
        self.runDirectory = runDirectory
        self.callerName = callerName
        self.discoveryInterval = discoveryInterval
        self.keepAliveInterval = keepAliveInterval
        self.connectTimeout = connectTimeout
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.defaultTimeout = defaultTimeout
        self.maximumAttempts = maximumAttempts
        self.maximumFrameSize = maximumFrameSize
    }
}
