import Contracts
import NIOCore
import Synchronization
import Testing

@testable import RPC

@Suite("In-process transport")
struct RPCInProcessTests {
    @Test("the generated Health contract is served in process with the caller's metadata")
    func health() async throws {
        let router = RPCRouter(service: Identity.Service.descriptor)
        router.register(Identity.Service.health) { _, context in
            Common.HealthResponse(
                status: .serving, service: "identity", instance: context.metadata.requestID,
                detail: context.principal.role)
        }
        let client = RPCInProcessClient(router: router)
        let response = try await client.call(
            Identity.Service.health, Common.HealthRequest(),
            metadata: CallMetadata(requestID: "r-1", principal: Principal(role: "manager")), timeout: .seconds(1))
        #expect(response.status == .serving)
        #expect(response.instance == "r-1")
        #expect(response.detail == "manager")
    }

    @Test("unregistered methods, bad requests and deadlines answer as over a socket")
    func failures() async throws {
        let probe = Echo.Probe()
        let client = RPCInProcessClient(router: Echo.router(probe: probe))
        let unimplemented = await #expect(throws: RPCError.self) {
            _ = try await client.call(Echo.unregistered, EchoMessage())
        }
        #expect(unimplemented?.code == .unimplemented)
        let invalid = await #expect(throws: RPCError.self) {
            _ = try await client.call(
                method: Echo.echo.fullName, request: .init(bytes: [0x0A, 0x05]), metadata: CallMetadata(), timeout: nil)
        }
        #expect(invalid?.code == .invalidArgument)
        let late = await #expect(throws: RPCError.self) {
            _ = try await client.call(
                Echo.getSlow, EchoMessage(text: "late", delayMilliseconds: 5000), metadata: CallMetadata(),
                timeout: .milliseconds(50))
        }
        #expect(late?.code == .deadlineExceeded)
        #expect(
            await eventually { probe.cancelled == 1 },
            "\(probe.started) started, \(probe.cancelled) cancelled, \(probe.finished) finished")
        #expect(try await client.call(Echo.echo, EchoMessage(text: "ok")).text == "ok")
        // A method's immediate path answers first, as the socket server's does.
        #expect(try await client.call(Echo.getCached, EchoMessage(text: "memo:x")).text == "immediate memo:x")
        #expect(try await client.call(Echo.getCached, EchoMessage(text: "y")).text == "handler y")
    }

    @Test("refused calls answer UNAVAILABLE with the reason, exempt methods still run, and all run once it clears")
    func refusedCalls() async throws {
        let probe = Echo.Probe()
        let router = Echo.router(probe: probe)
        let starting = Mutex(true)
        router.refuseCalls(except: [Echo.whoAmI.fullName]) {
            starting.withLock { $0 } ? "echo is starting" : nil
        }
        let client = RPCInProcessClient(router: router)
        let refused = await #expect(throws: RPCError.self) {
            _ = try await client.call(Echo.getSlow, EchoMessage(text: "early"))
        }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message == "echo is starting")
        #expect(probe.started == 0)
        _ = try await client.call(Echo.whoAmI, EchoMessage())
        starting.withLock { $0 = false }
        #expect(try await client.call(Echo.getSlow, EchoMessage(text: "ok")).text == "ok")
        #expect(probe.started == 1)
    }
}
