import Contracts
import Foundation
import Postgres
import ProviderFakes
import RPC
import ServiceKit
import Testing

@testable import ConversationsService

/// The reply and delivery workers, idle, sleep until their next work falls due instead of
/// looking every poll interval: here the poll interval is a minute, so work taken within
/// seconds was taken because it fell due.
@Suite("Idle workers wake when their next work falls due")
struct IdleWorkerTests {
    /// Waits up to `seconds` for `query` (`SELECT count(*) AS n ...`) to count 1.
    static func eventually(
        _ fixture: InboxFixture, within seconds: Int, _ query: PostgresQuery, _ binds: [any PostgresEncodable]
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await fixture.count(query, binds) == 1 { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("a reply job due in 1.5 s is taken then by an idle worker that polls every minute")
    func replyJobTakenWhenDue() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(canonicalText: admin.organizationId)!
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        #expect(
            try await fixture.database.withConnection {
                try await ReplyJobStore.untilNextDue(organizationID: organization, on: $0)
            } == nil)
        try await fixture.requestReply(in: conversation)
        try await fixture.database.execute(
            "UPDATE reply_jobs SET run_after = clock_timestamp() + interval '1.5 seconds' WHERE conversation_id = $1",
            [conversation])
        let due = try #require(
            try await fixture.database.withConnection {
                try await ReplyJobStore.untilNextDue(organizationID: organization, on: $0)
            })
        #expect(due > .milliseconds(1000) && due <= .milliseconds(1500), "\(due)")

        let worker = ReplyWorker(
            database: fixture.database, agents: fixture.replies.agents, identity: fixture.replies.identity,
            state: nil, logger: fixture.replies.logger, wakeup: Wakeup(), deliveryWakeup: Wakeup(),
            pollInterval: .seconds(60), idleInterval: .seconds(60), organization: organization)
        let running = Task { try await worker.run() }
        let taken = try await Self.eventually(
            fixture, within: 6,
            "SELECT count(*) AS n FROM reply_jobs WHERE conversation_id = $1 AND attempts > 0 AND started_at >= run_after",
            [conversation])
        running.cancel()
        _ = try? await running.value
        #expect(taken)
    }

    @Test("a web chat visitor's message wakes this process's waiting reply worker at once, not at its timeout")
    func webchatMessageWakesReplyWorker() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(canonicalText: admin.organizationId)!
        let channel = try await fixture.channel("webchat", for: admin)
        let logger = fixture.replies.logger
        // The process's own wiring: ingest signals the reply worker's wakeup (no NOTIFY listener
        // here, as a replica drops its own).
        let wakeup = Wakeup()
        let ingest = InboundIngest(
            database: fixture.database, crm: nil, planLimits: PlanLimitCache(identity: nil, logger: logger),
            logger: logger, replyWakeup: wakeup)
        let router = RPCRouter(service: Conversations.Service.descriptor)
        WebchatHandlers(
            database: fixture.database, ingest: ingest,
            signal: EventSignal(database: fixture.database, state: nil, logger: logger)
        ).register(on: router)
        let client = RPCInProcessClient(router: router)
        let metadata = CallMetadata(requestID: "test", caller: "gateway")
        let session = try await client.call(
            Conversations.Service.startWebchatSession,
            Conversations.StartWebchatSessionRequest(publicId: channel.publicId), metadata: metadata,
            timeout: .seconds(30))

        // A worker that, after taking a job, waits a minute before it looks again unless
        // signalled. It takes a first job, so it is known to be waiting when the visitor writes.
        let worker = ReplyWorker(
            database: fixture.database, agents: fixture.replies.agents, identity: fixture.replies.identity,
            state: nil, logger: logger, wakeup: wakeup, deliveryWakeup: Wakeup(),
            pollInterval: .seconds(60), idleInterval: .seconds(60), organization: organization)
        let first = try await fixture.conversation(on: channel, contact: "visitor-\(UUID().uuidString)")
        try await fixture.requestReply(in: first)
        let running = Task { try await worker.run() }
        let firstTaken = try await Self.eventually(
            fixture, within: 20, "SELECT count(*) AS n FROM reply_jobs WHERE conversation_id = $1 AND attempts > 0",
            [first])

        let posted = try await client.call(
            Conversations.Service.postWebchatMessage,
            Conversations.PostWebchatMessageRequest(
                publicId: channel.publicId, token: session.token, text: "Vocês entregam hoje?",
                clientMessageId: "m-1"), metadata: metadata, timeout: .seconds(30))
        let conversation = try #require(UUID(uuidString: posted.conversationId))
        // Well before the worker's minute: only the wake-up can explain it.
        let taken = try await Self.eventually(
            fixture, within: 20, "SELECT count(*) AS n FROM reply_jobs WHERE conversation_id = $1 AND attempts > 0",
            [conversation])
        running.cancel()
        _ = try? await running.value
        #expect(firstTaken)
        #expect(!posted.duplicate)
        #expect(taken)
    }

    @Test("a delivery postponed by 1.5 s is sent then by an idle worker that polls every minute")
    func deliverySentWhenDue() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(canonicalText: admin.organizationId)!
        let channel = try await fixture.channel("telegram", for: admin)
        let conversation = try await fixture.conversation(on: channel, contact: "710000\(Int.random(in: 1000...9999))")
        #expect(
            try await fixture.database.withConnection {
                try await DeliveryStore.untilNextDue(organizationID: organization, on: $0)
            } == nil)
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Já volto"),
            as: admin)
        try await fixture.database.execute(
            """
            UPDATE outbound_deliveries SET next_attempt_at = clock_timestamp() + interval '1.5 seconds'
            WHERE conversation_id = $1 AND status = 'pending'
            """, [conversation])
        let due = try #require(
            try await fixture.database.withConnection {
                try await DeliveryStore.untilNextDue(organizationID: organization, on: $0)
            })
        #expect(due > .milliseconds(1000) && due <= .milliseconds(1500), "\(due)")

        var configuration = fixture.sender.configuration
        configuration.pollInterval = .seconds(60)
        let worker = DeliveryWorker(
            database: fixture.database, providers: fixture.sender.providers, configuration: configuration,
            keyRing: fixture.sender.keyRing, state: nil, logger: fixture.sender.logger, wakeup: Wakeup(),
            organization: organization)
        let running = Task { try await worker.run() }
        // Within 4 s: the worker also wakes every 5 s to reconcile unknown sends.
        let sent = try await Self.eventually(
            fixture, within: 4,
            "SELECT count(*) AS n FROM outbound_deliveries WHERE conversation_id = $1 AND status = 'sent'",
            [conversation])
        running.cancel()
        _ = try? await running.value
        #expect(sent)
        let token = "123:tg" + channel.name.split(separator: " ").last!
        #expect(fixture.provider.received(matching: token).compactMap(\.text) == ["Já volto"])
    }
}
