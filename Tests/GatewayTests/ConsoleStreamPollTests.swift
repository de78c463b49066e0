import Contracts
import RPC
import Synchronization
import Testing

@testable import GatewayService

/// A stand-in conversations service whose `WaitConversationEvents` waits out `wait_ms` (or
/// answers `events` at once) and records the principal of each call.
final class FakeEventFeed: Sendable {
    /// The roles of the calls' principals, shared with the handler closure.
    final class Roles: Sendable {
        let value = Mutex<[String]>([])
    }

    let calls = Roles()
    let events: [Conversations.ConversationEvent]
    let client: RPCInProcessClient

    init(events: [Conversations.ConversationEvent] = []) {
        self.events = events
        let router = RPCRouter(service: Conversations.Service.descriptor)
        let roles = self.calls
        router.register(Conversations.Service.waitConversationEvents) { request, context in
            roles.value.withLock { $0.append(context.metadata.principal.role) }
            if events.isEmpty { try await Task.sleep(for: .milliseconds(Int64(request.waitMs))) }
            return Conversations.WaitEventsResponse(events: events, lastSeq: request.afterSeq + Int64(events.count))
        }
        self.client = RPCInProcessClient(router: router)
    }

    var roles: [String] { calls.value.withLock { $0 } }
}

@Suite("The console stream's polls re-check their credential")
struct ConsoleStreamPollTests {
    func poll(_ identity: FakeIdentity, _ feed: FakeEventFeed, waitMs: Int32 = 10_000) -> ConsoleStreamPoll {
        ConsoleStreamPoll(
            conversations: feed.client,
            validator: TokenValidator(identity: identity.client, maximumAge: .milliseconds(100)),
            credential: "good-a", requestID: "r1", recheckInterval: .milliseconds(50), waitMs: waitMs)
    }

    @Test("a poll is made with the credential's current principal")
    func usesFreshPrincipal() async throws {
        let identity = FakeIdentity()
        let feed = FakeEventFeed(events: [Conversations.ConversationEvent(seq: 1, eventType: "message.received")])
        let batch = try await poll(identity, feed).next(after: 0)
        #expect(batch.events.count == 1)
        #expect(feed.roles == ["admin"])
    }

    @Test("a waiting poll ends soon after its credential is revoked")
    func revocationEndsWaitingPoll() async throws {
        let identity = FakeIdentity()
        let feed = FakeEventFeed()
        // The poll would wait 30 s; a loaded machine may take a few seconds to notice.
        let poll = poll(identity, feed, waitMs: 30_000)
        let started = ContinuousClock.now
        let result = Task { try await poll.next(after: 0) }
        try await Task.sleep(for: .milliseconds(150))
        identity.revoked.tokens.withLock { _ = $0.insert("good-a") }
        await #expect(throws: RPCError.self) { _ = try await result.value }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a revoked credential gets no poll at all")
    func revokedBeforePoll() async throws {
        let identity = FakeIdentity()
        identity.revoked.tokens.withLock { _ = $0.insert("good-a") }
        let feed = FakeEventFeed(events: [Conversations.ConversationEvent(seq: 1, eventType: "message.received")])
        await #expect(throws: RPCError.self) { _ = try await poll(identity, feed).next(after: 0) }
        #expect(feed.roles.isEmpty)
    }

    @Test("an idle poll that ends normally answers its empty batch")
    func idlePoll() async throws {
        let batch = try await poll(FakeIdentity(), FakeEventFeed(), waitMs: 120).next(after: 7)
        #expect(batch.events.isEmpty && batch.lastSeq == 7)
    }
}
