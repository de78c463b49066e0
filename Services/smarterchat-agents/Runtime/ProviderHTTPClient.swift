import AsyncHTTPClient
import NIOCore
import ServiceLifecycle

/// The HTTP client the runtime calls providers with, run as a `Service` so that it shuts down
/// with the process. Its pool allows `connectionsPerHost` HTTP/1.1 connections to one
/// provider host (AsyncHTTPClient's default of 8 would queue replies behind each other well
/// before the per-organization limit does).
final class ProviderHTTPClient: Service {
    let client: HTTPClient

    init(connectionsPerHost: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connectionsPerHost))
        configuration.timeout = .init(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
