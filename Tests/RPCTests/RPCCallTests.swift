import Contracts
import NIOCore
import NIOPosix
import Testing

@testable import RPC

@Suite("Calls over a Unix socket")
struct RPCCallTests {
    @Test("a request round-trips and the handler sees the caller's metadata")
    func roundTrip() async throws {
        let harness = RPCTestHarness()
        try await harness.startServer(router: Echo.router())
        let client = harness.client()
        let echoed = try await client.call(Echo.echo, EchoMessage(text: "olá, mundo"))
        #expect(echoed.text == "olá, mundo")

        let principal = Principal(
            organizationId: "org-1", userId: "user-2", role: "admin", apiKeyId: "key-3", scopes: ["leads:write", "x"])
        let metadata = CallMetadata(requestID: "req-42", caller: "gateway", principal: principal)
        let who = try await client.call(Echo.whoAmI, EchoMessage(), metadata: metadata, timeout: .seconds(2))
        #expect(who.text == "req-42|gateway|org-1|user-2|admin|key-3|leads:write,x")

        let defaulted = try await client.call(Echo.whoAmI, EchoMessage())
        #expect(defaulted.text == "|tests|||||")
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a call made on an event loop goes out on that loop's own connection and resumes there")
    func lanes() async throws {
        let harness = RPCTestHarness()
        let server = try await harness.startServer(router: Echo.router())
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let client = RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: "echo", runDirectory: harness.runDirectory, callerName: "tests"),
            eventLoopGroup: group, logger: harness.recorder.logger("client"))
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() { loops.append(loop) }
        for (index, loop) in loops.enumerated() {
            let resumedOnLoop = try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: loop)) {
                var stayed = true
                for call in 0..<20 {
                    let reply = try await client.call(Echo.echo, EchoMessage(text: "\(index).\(call)"))
                    stayed = stayed && reply.text == "\(index).\(call)" && loop.inEventLoop
                }
                return stayed
            }
            #expect(resumedOnLoop)
        }
        // One connection per loop, whatever the number of calls.
        #expect(server.counters.openConnections == 2)
        // A caller off the loops shares the first loop's connection.
        #expect(try await client.call(Echo.echo, EchoMessage(text: "off")).text == "off")
        #expect(server.counters.openConnections == 2)
        client.shutdown()
        await harness.tearDown()
        try await group.shutdownGracefully()
    }

    @Test("150 concurrent calls share one connection and each gets its own answer")
    func multiplexed() async throws {
        let harness = RPCTestHarness()
        let server = try await harness.startServer(router: Echo.router())
        let client = harness.client()
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<150 {
                group.addTask {
                    let reply = try await client.call(
                        Echo.getSlow, EchoMessage(text: "call \(index)", delayMilliseconds: UInt32(index % 7)))
                    return (index, reply.text)
                }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 150)
        #expect(answers.allSatisfy { $0.value == "call \($0.key)" })
        #expect(server.counters.openConnections == 1)
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a call past its deadline fails DEADLINE_EXCEEDED and the server cancels the handler")
    func deadlineExceeded() async throws {
        let harness = RPCTestHarness()
        let probe = Echo.Probe()
        let server = try await harness.startServer(router: Echo.router(probe: probe))
        let client = harness.client()
        #expect(try await client.call(Echo.echo, EchoMessage(text: "warm")).text == "warm")
        // On a loaded machine a 100 ms deadline can pass before the request is even written;
        // try again until one reaches the handler, which is what this test is about.
        var attempts = 0
        repeat {
            attempts += 1
            let started = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.call(
                    Echo.getSlow, EchoMessage(text: "slow", delayMilliseconds: 30_000), metadata: CallMetadata(),
                    timeout: .milliseconds(100))
            }
            #expect(error?.code == .deadlineExceeded)
            // Far below the handler's 30 s, with room for a loaded machine's scheduling delays.
            #expect(ContinuousClock.now - started < .seconds(10))
        } while await !eventually(timeout: .seconds(1), { probe.started >= 1 }) && attempts < 5
        #expect(probe.started >= 1)
        #expect(
            await eventually { probe.cancelled == probe.started && server.counters.handlersRunning == 0 },
            "\(probe.started) started, \(probe.cancelled) cancelled, \(server.counters.handlersRunning) running")
        #expect(probe.finished == 0)
        client.shutdown()
        await harness.tearDown()
    }

    @Test("cancelling the calling task cancels the handler on the server")
    func cancellationReachesHandler() async throws {
        let harness = RPCTestHarness()
        let probe = Echo.Probe()
        let server = try await harness.startServer(router: Echo.router(probe: probe))
        let client = harness.client()
        let call = Task {
            try await client.call(Echo.getSlow, EchoMessage(text: "never", delayMilliseconds: 10_000))
        }
        #expect(await eventually { probe.started == 1 })
        call.cancel()
        let result = await call.result
        #expect(throws: RPCError.self) { try result.get() }
        #expect((try? result.get()) == nil)
        if case .failure(let error as RPCError) = result { #expect(error.code == .cancelled) }
        #expect(await eventually { probe.cancelled == 1 && server.counters.handlersRunning == 0 })
        // The connection is still good.
        #expect(try await client.call(Echo.echo, EchoMessage(text: "after")).text == "after")
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a method the service does not declare or serve answers UNIMPLEMENTED")
    func unimplemented() async throws {
        let harness = RPCTestHarness()
        let server = try await harness.startServer(router: Echo.router())
        let client = harness.client()
        for method in [Echo.undeclared, Echo.unregistered] {
            let error = await #expect(throws: RPCError.self) { _ = try await client.call(method, EchoMessage()) }
            #expect(error?.code == .unimplemented)
        }
        #expect(server.counters.unimplementedCalls == 2)
        #expect(try await client.call(Echo.echo, EchoMessage(text: "still")).text == "still")
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a request that fails to unpack answers INVALID_ARGUMENT without reaching the handler")
    func invalidArgument() async throws {
        let harness = RPCTestHarness()
        let probe = Echo.Probe()
        try await harness.startServer(router: Echo.router(probe: probe))
        let socket = try RawSocket(path: "\(harness.runDirectory)/echo.1.sock")
        // Field 1 as a string whose length runs past the end: not a valid EchoMessage.
        socket.send(
            RPCWireFixtures.requestFrame(callID: 7, method: Echo.getSlow.fullName, message: [0x0A, 0x05, 0x61]))
        let reply = await socket.receive(count: 4 + 5 + 4)
        #expect(reply.count == 13)
        let length = Int(reply[0]) << 24 | Int(reply[1]) << 16 | Int(reply[2]) << 8 | Int(reply[3])
        let rest = await socket.receive(count: length - 9)
        var frame = ByteBuffer(bytes: Array(reply[4...]) + rest)
        #expect(frame.readInteger(as: UInt8.self) == RPCFrame.Kind.response.rawValue)
        #expect(frame.readInteger(as: UInt32.self) == 7)
        let headerLength = frame.readInteger(as: UInt32.self)!
        let header = try WireResponseHeader.decode(frame.readSlice(length: Int(headerLength))!)
        #expect(header.code == RPCError.Code.invalidArgument.rawValue)
        #expect(probe.started == 0)
        await harness.tearDown()
    }

    @Test("an immediate path answers without the handler; nil falls through to it; its errors reach the caller")
    func immediatePath() async throws {
        let harness = RPCTestHarness()
        let probe = Echo.Probe()
        try await harness.startServer(router: Echo.router(probe: probe))
        let client = harness.client()
        #expect(try await client.call(Echo.getCached, EchoMessage(text: "memo:a")).text == "immediate memo:a")
        #expect(probe.started == 0)
        let denied = await #expect(throws: RPCError.self) {
            _ = try await client.call(Echo.getCached, EchoMessage(text: "deny:b"))
        }
        #expect(denied?.code == .permissionDenied)
        #expect(denied?.message == "denied at once")
        #expect(probe.started == 0)
        #expect(try await client.call(Echo.getCached, EchoMessage(text: "c")).text == "handler c")
        #expect(probe.started == 1 && probe.finished == 1)
        client.shutdown()
        await harness.tearDown()
    }

    @Test("a request the immediate path cannot unpack answers INVALID_ARGUMENT; a declined call keeps its deadline")
    func immediatePathOverTheWire() async throws {
        let harness = RPCTestHarness()
        let probe = Echo.Probe()
        let server = try await harness.startServer(router: Echo.router(probe: probe))
        let socket = try RawSocket(path: "\(harness.runDirectory)/echo.1.sock")
        socket.send(
            RPCWireFixtures.requestFrame(callID: 3, method: Echo.getCached.fullName, message: [0x0A, 0x05, 0x61]))
        let invalid = try #require(await socket.receiveFrame())
        #expect(invalid.callID == 3)
        #expect(try Self.responseCode(invalid) == RPCError.Code.invalidArgument.rawValue)
        // The immediate path declines, the handler sleeps 30 s, and this raw caller never
        // cancels: only the server's own deadline timer can end the call.
        var slow = ByteBuffer()
        slow.writeMessage(EchoMessage(text: "slow", delayMilliseconds: 30_000))
        let started = ContinuousClock.now
        socket.send(
            RPCWireFixtures.requestFrame(
                callID: 5, method: Echo.getCached.fullName, message: Array(slow.readableBytesView),
                timeoutMilliseconds: 300))
        let late = try #require(await socket.receiveFrame())
        #expect(late.callID == 5)
        #expect(try Self.responseCode(late) == RPCError.Code.deadlineExceeded.rawValue)
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(await eventually { probe.cancelled == 1 && server.counters.handlersRunning == 0 })
        await harness.tearDown()
    }

    private static func responseCode(_ frame: RPCFrame) throws -> Int {
        #expect(frame.kind == .response)
        let (header, _) = try frame.callParts()
        return try WireResponseHeader.decode(header).code
    }

    @Test("an RPCError thrown by a handler reaches the caller with its code and message")
    func handlerError() async throws {
        let harness = RPCTestHarness()
        try await harness.startServer(router: Echo.router())
        let client = harness.client()
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(Echo.fail, EchoMessage(text: "x"))
        }
        #expect(error?.code == .notFound)
        #expect(error?.message == "no such thing: x")
        client.shutdown()
        await harness.tearDown()
    }
}
