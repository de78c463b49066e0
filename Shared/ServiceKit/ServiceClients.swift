import Logging
import RPC
import Synchronization

/// The RPC client pools a domain service uses to call other services, one per service,
/// created on first use while the service is built and run with it (they are `Service`s).
public final class ServiceClients: Sendable {
    private let runDirectory: String
    private let callerName: String
    private let logger: Logger
    private let clients = Mutex<[String: RPCClient]>([:])

    /// Clients calling as `callerName` (the calling service's name) into `runDirectory`.
    public init(runDirectory: String, callerName: String, logger: Logger) {
        self.runDirectory = runDirectory
        self.callerName = callerName
        self.logger = logger
    }

    /// The pool that reaches `service`'s replicas.
    public func client(for service: PlatformService) -> RPCClient {
        clients.withLock { clients in
            if let client = clients[service.name] { return client }
            let client = RPCClient(
                configuration: RPCClientConfiguration(
                    serviceName: service.name, runDirectory: runDirectory, callerName: callerName),
                logger: logger)
            clients[service.name] = client
            return client
        }
    }

    /// Every pool created so far, to run in the service group.
    public var all: [RPCClient] { clients.withLock { Array($0.values) } }
}
