import Contracts
import Testing

@testable import RPC

@Suite("Bad input closes only the offending connection")
struct RPCBadInputTests {
    /// Runs `misbehave` against a fresh server while a well-behaved client keeps calling; at
    /// the end `openAtEnd` connections remain (the bystander's, unless it idles out too).
    private func withBystander(
        configure: (inout RPCServerConfiguration) -> Void = { _ in }, openAtEnd: Int = 1,
        _ misbehave: (RPCTestHarness, RPCServer, RPCClient) async throws -> Void
    ) async throws {
        let harness = RPCTestHarness()
        let server = try await harness.startServer(router: Echo.router(), configure: configure)
        let client = harness.client()
        #expect(try await client.call(Echo.echo, EchoMessage(text: "before")).text == "before")
        try await misbehave(harness, server, client)
        #expect(try await client.call(Echo.echo, EchoMessage(text: "after")).text == "after")
        #expect(await eventually { server.counters.openConnections == openAtEnd })
        client.shutdown()
        await harness.tearDown()
    }

    @Test("garbage bytes close that connection with one logged line")
    func garbage() async throws {
        try await withBystander { harness, server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            socket.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(await socket.isClosedByPeer())
            #expect(await eventually { harness.recorder.count(containing: "closing connection") == 1 })
            #expect(server.counters.badInputClosures == 1)
        }
    }

    @Test("an unknown frame type closes that connection")
    func unknownFrameType() async throws {
        try await withBystander { harness, server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            socket.send([0, 0, 0, 5, 99, 0, 0, 0, 1])
            #expect(await socket.isClosedByPeer())
            #expect(await eventually { harness.recorder.count(containing: "unknown frame type 99") == 1 })
        }
    }

    @Test("a malformed request header closes that connection")
    func malformedHeader() async throws {
        try await withBystander { harness, server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            // Request frame, call 1, header length 3 holding a truncated string field.
            socket.send([0, 0, 0, 12, 1, 0, 0, 0, 1, 0, 0, 0, 3, 0x0A, 0x09, 0x41])
            #expect(await socket.isClosedByPeer())
            #expect(await eventually { harness.recorder.count(containing: "request header") == 1 })
        }
    }

    @Test("a frame over the size limit closes the connection before its body arrives")
    func oversized() async throws {
        try await withBystander(configure: { $0.maximumFrameSize = 1024 }) { harness, server, _ in
            let socket = try RawSocket(path: server.configuration.socketPath)
            socket.send([0, 0, 0x04, 0x01, 1, 0, 0, 0, 1])  // 1025 bytes announced
            #expect(await socket.isClosedByPeer())
            #expect(await eventually { harness.recorder.count(containing: "over the limit of 1024") == 1 })
        }
    }

    @Test("a peer that closes in the middle of a frame is logged as truncated")
    func truncated() async throws {
        try await withBystander { harness, server, _ in
            do {
                let socket = try RawSocket(path: server.configuration.socketPath)
                socket.send(
                    Array(RPCWireFixtures.requestFrame(callID: 1, method: Echo.echo.fullName, message: [1]).prefix(10)))
            }
            #expect(await eventually { harness.recorder.count(containing: "truncated frame") == 1 })
        }
    }

    @Test("a peer that connects and sends nothing is closed when idle and disturbs no one")
    func silentPeer() async throws {
        // Every connection idles out here, the bystander's too: at the end none is left.
        try await withBystander(configure: { $0.idleTimeout = .milliseconds(200) }, openAtEnd: 0) {
            harness, server, client in
            let socket = try RawSocket(path: server.configuration.socketPath)
            #expect(try await client.call(Echo.echo, EchoMessage(text: "meanwhile")).text == "meanwhile")
            let goAway = await socket.receiveFrame()
            #expect(goAway?.kind == .goAway)
            #expect(await socket.isClosedByPeer(), harness.recorder.transcript)
            #expect(harness.recorder.count(containing: "closing idle connection") >= 1)
        }
    }

    @Test("a peer that disappears mid-call has its handler cancelled and nothing leaks")
    func vanishingPeer() async throws {
        let harness = RPCTestHarness()
        let probe = Echo.Probe()
        let server = try await harness.startServer(router: Echo.router(probe: probe))
        let client = harness.client()
        do {
            let socket = try RawSocket(path: server.configuration.socketPath)
            var message: [UInt8] = []
            EchoMessage(text: "bye", delayMilliseconds: 10_000).withSerializedBytes { message = Array($0) }
            socket.send(RPCWireFixtures.requestFrame(callID: 1, method: Echo.getSlow.fullName, message: message))
            #expect(await eventually { probe.started == 1 })
        }
        #expect(await eventually { probe.cancelled == 1 && server.counters.handlersRunning == 0 })
        #expect(await eventually { server.counters.openConnections == 0 })
        #expect(harness.recorder.count(containing: "client went away with calls in flight") == 1)
        #expect(try await client.call(Echo.echo, EchoMessage(text: "fine")).text == "fine")
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a peer whose uid and gid are not allowed is refused")
    func peerCredentialsRefused() async throws {
        let harness = RPCTestHarness()
        let server = try await harness.startServer(router: Echo.router()) {
            $0.allowedUIDs = [54_321]
            $0.allowedGIDs = [54_321]
        }
        let client = harness.client { $0.maximumAttempts = 1 }
        let error = await #expect(throws: RPCError.self) { _ = try await client.call(Echo.echo, EchoMessage()) }
        #expect(error?.code == .unavailable)
        #expect(server.counters.refusedConnections >= 1)
        #expect(harness.recorder.count(containing: "refused connection") >= 1)
        #expect(server.counters.openConnections == 0)
        client.shutdown()
        await harness.tearDown()
    }
}
