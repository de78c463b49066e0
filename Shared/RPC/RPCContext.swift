import Logging

/// What a handler knows about the call it serves.
public struct RPCContext: Sendable {
    /// The method called, `package.Service/Method`.
    public var method: String
    /// Request id, caller and principal sent by the caller.
    public var metadata: CallMetadata
    /// When the caller stops waiting; the handler's task is cancelled then. Nil when none.
    public var deadline: ContinuousClock.Instant?
    /// The server's logger, without the call's metadata.
    public var baseLogger: Logger

    /// Creates a context for a call of `method`.
    public init(method: String, metadata: CallMetadata, deadline: ContinuousClock.Instant?, logger: Logger) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.baseLogger = logger
    }

    /// A logger carrying `rpc.request_id`, `rpc.method` and `rpc.caller`.
    ///
    /// Built on each access (calls that never log pay nothing): keep it in a local when
    /// logging several lines.
    public var logger: Logger {
        var logger = baseLogger
        if !metadata.requestID.isEmpty { logger[metadataKey: "rpc.request_id"] = "\(metadata.requestID)" }
        logger[metadataKey: "rpc.method"] = "\(method)"
        if !metadata.caller.isEmpty { logger[metadataKey: "rpc.caller"] = "\(metadata.caller)" }
        return logger
    }

    /// The principal the call is made for.
    public var principal: Principal { metadata.principal }
}
