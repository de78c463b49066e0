import Logging

/// What a handler knows about the call it serves.
public struct RPCContext: Sendable {
    /// The method called, `package.Service/Method`.
    public var method: String
    /// Request id, caller and principal sent by the caller.
    public var metadata: CallMetadata
    /// When the caller stops waiting; the handler's task is cancelled then. Nil when none.
    public var deadline: ContinuousClock.Instant?
    /// A logger carrying `rpc.request_id`, `rpc.method` and `rpc.caller`.
    public var logger: Logger

    /// Creates a context; the logger gets the call's metadata attached.
    public init(method: String, metadata: CallMetadata, deadline: ContinuousClock.Instant?, logger: Logger) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        var logger = logger
        if !metadata.requestID.isEmpty { logger[metadataKey: "rpc.request_id"] = "\(metadata.requestID)" }
        logger[metadataKey: "rpc.method"] = "\(method)"
        if !metadata.caller.isEmpty { logger[metadataKey: "rpc.caller"] = "\(metadata.caller)" }
        self.logger = logger
    }

    /// The principal the call is made for.
    public var principal: Principal { metadata.principal }
}
