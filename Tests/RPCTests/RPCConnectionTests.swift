import Logging
import ServiceLifecycle
import Testing

@testable import RPC

#if canImport(Glibc)
import Glibc
#endif

@Suite("Socket files, keep-alive and the client as a Service")
struct RPCConnectionTests {
    @Test("the server creates the run directory 0750 and its socket 0660")
    func permissions() async throws {
        let harness = RPCTestHarness()
        let runDirectory = harness.runDirectory + "/nested"
        let server = try await harness.startServer(router: Echo.router()) { $0.runDirectory = runDirectory }
        var status = stat()
        #expect(stat(runDirectory, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o750)
        #expect(stat(server.configuration.socketPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o660)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        await harness.tearDown()
        rmdir(runDirectory)
    }

    @Test("a ping is answered by a pong carrying the same bytes")
    func pingPong() async throws {
        let harness = RPCTestHarness()
        let server = try await harness.startServer(router: Echo.router())
        let socket = try RawSocket(path: server.configuration.socketPath)
        socket.send([0, 0, 0, 13, 4, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(await socket.receive(count: 17) == [0, 0, 0, 13, 5, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
        await harness.tearDown()
    }

    @Test("the client closes a connection whose server stops answering pings")
    func keepAliveTimeout() async throws {
        let harness = RPCTestHarness()
        // A listener that accepts connections (the kernel does, from its backlog) and never answers.
        let path = "\(harness.runDirectory)/echo.1.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0 && listen(listener, 8) == 0)
        let client = harness.client {
            $0.discoveryInterval = .milliseconds(10)
            $0.keepAliveInterval = .milliseconds(50)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [client], gracefulShutdownSignals: [],
                logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await group.run() }
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(Echo.echo, EchoMessage(), metadata: CallMetadata(), timeout: .milliseconds(100))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(await eventually { harness.recorder.count(containing: "keep-alive ping not answered") == 1 })
        await group.triggerGracefulShutdown()
        try await running.value
        await harness.tearDown()
    }

    @Test("a connection the server closes as idle is replaced without failing calls")
    func idleConnectionReplaced() async throws {
        let harness = RPCTestHarness()
        let server = try await harness.startServer(router: Echo.router()) { $0.idleTimeout = .milliseconds(200) }
        let client = harness.client()
        for round in 0..<3 {
            #expect(try await client.call(Echo.echo, EchoMessage(text: "\(round)")).text == "\(round)")
            #expect(await eventually { server.counters.openConnections == 0 })
            // At least one idle close per round; a loaded machine may add one more when a fresh
            // connection's first request reaches the server after its idle timer fired (that
            // call was not started, so it was resent on a new connection and still succeeded).
            #expect(harness.recorder.count(containing: "closing idle connection") >= round + 1)
        }
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a running client finds a replica that appears later and closes its connections on shutdown")
    func clientAsService() async throws {
        let harness = RPCTestHarness()
        let client = harness.client { $0.discoveryInterval = .milliseconds(20) }
        let group = ServiceGroup(
            configuration: .init(
                services: [client], gracefulShutdownSignals: [],
                logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await group.run() }
        #expect(client.knownReplicas.isEmpty)
        let server = try await harness.startServer(replica: 3, router: Echo.router())
        #expect(await eventually { client.knownReplicas == [server.configuration.socketPath] })
        #expect(try await client.call(Echo.echo, EchoMessage(text: "hi")).text == "hi")
        #expect(server.counters.openConnections == 1)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(await eventually { server.counters.openConnections == 0 }, harness.recorder.transcript)
        let error = await #expect(throws: RPCError.self) { _ = try await client.call(Echo.echo, EchoMessage()) }
        #expect(error?.code == .unavailable)
        await harness.tearDown()
    }
}
