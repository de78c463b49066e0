import Contracts
import Testing

@testable import RPC

#if canImport(Glibc)
import Glibc
#endif

@Suite("Replicas: discovery, balancing, retry, restart and drain")
struct RPCReplicaTests {
    @Test("the client discovers every replica socket and balances calls across them")
    func balancing() async throws {
        let harness = RPCTestHarness()
        try await harness.startServer(replica: 1, router: Echo.router(instance: "a:"))
        try await harness.startServer(replica: 2, router: Echo.router(instance: "b:"))
        let client = harness.client()
        var answeredBy: [String: Int] = [:]
        for index in 0..<20 {
            let reply = try await client.call(Echo.getSlow, EchoMessage(text: "\(index)"))
            answeredBy[String(reply.text.prefix(2)), default: 0] += 1
        }
        #expect(client.knownReplicas.count == 2)
        #expect(answeredBy["a:", default: 0] >= 5)
        #expect(answeredBy["b:", default: 0] >= 5)
        client.shutdown()
        await harness.tearDown()
    }

    @Test("an idempotent call in flight on a replica that dies succeeds on another")
    func retryOnAnotherReplica() async throws {
        let harness = RPCTestHarness()
        let probeA = Echo.Probe()
        let probeB = Echo.Probe()
        let serverA = try await harness.startServer(replica: 1, router: Echo.router(instance: "a:", probe: probeA))
        let serverB = try await harness.startServer(replica: 2, router: Echo.router(instance: "b:", probe: probeB))
        let client = harness.client()
        let call = Task { try await client.call(Echo.getSlow, EchoMessage(text: "x", delayMilliseconds: 300)) }
        #expect(await eventually { probeA.started + probeB.started == 1 })
        let (victim, survivor) = probeA.started == 1 ? (serverA, "b:") : (serverB, "a:")
        await harness.kill(victim)
        let reply = try await call.value
        #expect(reply.text == survivor + "x")
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a non-idempotent call is not retried when its connection dies")
    func noRetryForNonIdempotent() async throws {
        let harness = RPCTestHarness()
        let probe = Echo.Probe()
        let other = Echo.Probe()
        let server = try await harness.startServer(replica: 1, router: Echo.router(probe: probe))
        try await harness.startServer(replica: 2, router: Echo.router(probe: other))
        let client = harness.client()
        // GetSlow is idempotent; wrap it under a non-idempotent descriptor to test the rule.
        let slowButUnsafe = Contracts.MethodDescriptor<EchoMessage, EchoMessage>(
            service: Echo.descriptor.name, name: "GetSlow", isIdempotent: false)
        // Round-robin sends a call to either replica: repeat until one lands on the first.
        var attempts = 0
        while probe.started == 0, attempts < 10 {
            attempts += 1
            let otherStartedBefore = other.started
            let call = Task { try await client.call(slowButUnsafe, EchoMessage(text: "x", delayMilliseconds: 300)) }
            #expect(await eventually { probe.started == 1 || other.started > otherStartedBefore })
            if probe.started == 1 {
                await harness.kill(server)
                let error = await #expect(throws: RPCError.self) { _ = try await call.value }
                #expect(error?.code == .unavailable)
            } else {
                _ = try await call.value
            }
        }
        #expect(probe.started == 1)
        client.shutdown()
        await harness.tearDown()
    }

    @Test("the client reconnects when a server restarts on the same socket path")
    func reconnectAfterRestart() async throws {
        let harness = RPCTestHarness()
        let first = try await harness.startServer(replica: 1, router: Echo.router(instance: "1st:"))
        let client = harness.client { $0.initialBackoff = .milliseconds(10) }
        #expect(try await client.call(Echo.getSlow, EchoMessage(text: "x")).text == "1st:x")
        await harness.kill(first)
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(Echo.getSlow, EchoMessage(text: "x"))
        }
        #expect(error?.code == .unavailable)
        try await harness.startServer(replica: 1, router: Echo.router(instance: "2nd:"))
        var reply: EchoMessage?
        let deadline = ContinuousClock.now + .seconds(3)
        while reply == nil, ContinuousClock.now < deadline {
            reply = try? await client.call(Echo.getSlow, EchoMessage(text: "x"))
            if reply == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(reply?.text == "2nd:x")
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a replica in backoff is retried at once when its socket is bound again, as after kill -9")
    func restartResetsBackoff() async throws {
        let harness = RPCTestHarness()
        let path = "\(harness.runDirectory)/echo.1.sock"
        // A stale socket file that nobody listens on, as a killed server leaves behind.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        close(stale)
        let client = harness.client { $0.initialBackoff = .seconds(60) }
        let refused = await #expect(throws: RPCError.self) {
            _ = try await client.call(Echo.getSlow, EchoMessage(text: "x"))
        }
        #expect(refused?.code == .unavailable)
        try await harness.startServer(replica: 1, router: Echo.router(instance: "new:"))
        client.rescan()
        #expect(try await client.call(Echo.getSlow, EchoMessage(text: "x")).text == "new:x")
        client.shutdown()
        await harness.tearDown()
    }

    @Test("GOAWAY lets in-flight calls finish, then new calls go to another replica")
    func drain() async throws {
        let harness = RPCTestHarness()
        let probeA = Echo.Probe()
        let serverA = try await harness.startServer(replica: 1, router: Echo.router(instance: "a:", probe: probeA))
        let client = harness.client()
        let inFlight = Task { try await client.call(Echo.getSlow, EchoMessage(text: "x", delayMilliseconds: 300)) }
        #expect(await eventually { probeA.started == 1 })
        try await harness.startServer(replica: 2, router: Echo.router(instance: "b:"))
        let stopped = await harness.drain(serverA)
        #expect(await eventually { !serverA.isListening })
        // A call sent before the client has read the GOAWAY is still A's to answer; wait for it.
        #expect(await eventually { harness.recorder.count(containing: "server sent GOAWAY") == 1 })
        for _ in 0..<5 {
            #expect(try await client.call(Echo.getSlow, EchoMessage(text: "y")).text == "b:y")
        }
        #expect(try await inFlight.value.text == "a:x")
        try await stopped?.value
        #expect(probeA.finished == 1 && probeA.cancelled == 0)
        #expect(serverA.counters.openConnections == 0)
        client.rescan()
        #expect(client.knownReplicas == ["\(harness.runDirectory)/echo.2.sock"])
        client.shutdown()
        await harness.tearDown()
    }
}
