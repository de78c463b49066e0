import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import ConversationsService

@Suite("Web chat sessions and the live feeds")
struct WebchatTests {
    func webchat(_ fixture: IngestFixture, origins: [String] = []) async throws -> (Principal, Conversations.Channel) {
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.call(
            Conversations.Service.createChannel,
            Conversations.CreateChannelRequest(
                type: "webchat", name: "Site", agentId: UUID().lowercased, allowedOrigins: origins), as: admin)
        return (admin, channel)
    }

    @Test("a visitor starts a session, writes, and reads their message back from the session's feed")
    func sessionRoundTrip() async throws {
        let fixture = try await IngestFixture.shared()
        let (_, channel) = try await webchat(fixture)
        let session = try await fixture.call(
            Conversations.Service.startWebchatSession,
            Conversations.StartWebchatSessionRequest(publicId: channel.publicId, visitorName: "Bia"))
        #expect(session.token.hasPrefix("wcs_") && session.channelName == "Site")
        let posted = try await fixture.call(
            Conversations.Service.postWebchatMessage,
            Conversations.PostWebchatMessageRequest(
                publicId: channel.publicId, token: session.token, text: "Do you ship to Recife?",
                clientMessageId: "m-1"))
        #expect(!posted.duplicate)
        let again = try await fixture.call(
            Conversations.Service.postWebchatMessage,
            Conversations.PostWebchatMessageRequest(
                publicId: channel.publicId, token: session.token, text: "Do you ship to Recife?",
                clientMessageId: "m-1"))
        #expect(again.duplicate && again.messageId == posted.messageId)
        let events = try await fixture.call(
            Conversations.Service.waitWebchatEvents,
            Conversations.WaitWebchatEventsRequest(publicId: channel.publicId, token: session.token, waitMs: 2000))
        #expect(events.events.map(\.eventType) == ["message.received"])
        #expect(events.events.first?.payloadJson.contains("Do you ship to Recife?") == true)
        let name = try await fixture.database.query(
            "SELECT contact_name FROM conversations WHERE id = $1", [UUID(uuidString: posted.conversationId)!]
        ).firstRow!.decode(String?.self, "contact_name")
        #expect(name == "Bia")
    }

    @Test("a long poll wakes when a reply is committed")
    func longPollWakes() async throws {
        let fixture = try await IngestFixture.shared()
        let (_, channel) = try await webchat(fixture)
        let session = try await fixture.call(
            Conversations.Service.startWebchatSession,
            Conversations.StartWebchatSessionRequest(publicId: channel.publicId))
        let posted = try await fixture.call(
            Conversations.Service.postWebchatMessage,
            Conversations.PostWebchatMessageRequest(publicId: channel.publicId, token: session.token, text: "hi"))
        let first = try await fixture.call(
            Conversations.Service.waitWebchatEvents,
            Conversations.WaitWebchatEventsRequest(publicId: channel.publicId, token: session.token, waitMs: 5000))
        #expect(first.events.map(\.eventType) == ["message.received"])
        let started = ContinuousClock.now
        async let waited = fixture.call(
            Conversations.Service.waitWebchatEvents,
            Conversations.WaitWebchatEventsRequest(
                publicId: channel.publicId, token: session.token, afterSeq: first.lastSeq, waitMs: 10_000))
        try await Task.sleep(for: .milliseconds(300))
        let organizationID = UUID(uuidString: channel.organizationId)!
        try await fixture.database.withTransaction { connection in
            try await IngestStore.appendEvent(
                organizationID: organizationID, conversationID: UUID(uuidString: posted.conversationId)!,
                type: "message.sent", actorType: "ai",
                payload: PostgresJSON(text: #"{"content":"Yes, we do!","sender_type":"ai"}"#), on: connection)
        }
        let reply = try await waited
        #expect(reply.events.map(\.eventType) == ["message.sent"])
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("a channel write on this replica applies to the next visitor at once, though the channel was kept")
    func channelWriteDropsKeptWebchatChannel() async throws {
        let fixture = try await IngestFixture.shared()
        let (admin, channel) = try await webchat(fixture, origins: ["https://a.example"])
        func start(from origin: String) async throws -> Conversations.StartWebchatSessionResponse {
            try await fixture.call(
                Conversations.Service.startWebchatSession,
                Conversations.StartWebchatSessionRequest(publicId: channel.publicId, origin: origin))
        }
        _ = try await start(from: "https://a.example")
        _ = try await fixture.call(
            Conversations.Service.updateChannel,
            Conversations.UpdateChannelRequest(
                channelId: channel.id, allowedOrigins: ["https://b.example"], setAllowedOrigins: true), as: admin)
        #expect(await fixture.failure { try await start(from: "https://a.example") } == .permissionDenied)
        let session = try await start(from: "https://b.example")
        _ = try await fixture.call(
            Conversations.Service.deleteChannel, Conversations.DeleteChannelRequest(channelId: channel.id), as: admin)
        #expect(await fixture.failure { try await start(from: "https://b.example") } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.postWebchatMessage,
                    Conversations.PostWebchatMessageRequest(
                        publicId: channel.publicId, token: session.token, text: "still there?"))
            } == .notFound)
    }

    @Test("a wrong token, another channel's token or a foreign origin is refused")
    func sessionsAreChecked() async throws {
        let fixture = try await IngestFixture.shared()
        let (_, channel) = try await webchat(fixture, origins: ["https://shop.example.com"])
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.startWebchatSession,
                    Conversations.StartWebchatSessionRequest(publicId: channel.publicId, origin: "https://evil.example")
                )
            } == .permissionDenied)
        let session = try await fixture.call(
            Conversations.Service.startWebchatSession,
            Conversations.StartWebchatSessionRequest(publicId: channel.publicId, origin: "https://shop.example.com"))
        let (_, other) = try await webchat(fixture)
        for (publicID, token) in [
            (channel.publicId, "wcs_nope"), (other.publicId, session.token), (channel.publicId, ""),
        ] {
            #expect(
                await fixture.failure {
                    try await fixture.call(
                        Conversations.Service.postWebchatMessage,
                        Conversations.PostWebchatMessageRequest(publicId: publicID, token: token, text: "x"))
                } == .unauthenticated)
        }
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.startWebchatSession,
                    Conversations.StartWebchatSessionRequest(publicId: "wc_missing"))
            } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.postWebchatMessage,
                    Conversations.PostWebchatMessageRequest(
                        publicId: channel.publicId, token: session.token, text: "   "))
            } == .invalidArgument)
    }

    @Test("the organization's feed resumes after a seq without gaps and shows no other organization's events")
    func organizationFeed() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        let stranger = IngestFixture.newAdmin()
        let strangerChannel = try await fixture.whatsAppChannel(for: stranger)
        _ = try await fixture.deliver(Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "a"), to: channel)
        _ = try await fixture.deliver(
            Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "theirs"), to: strangerChannel)
        let first = try await fixture.call(
            Conversations.Service.waitConversationEvents, Conversations.WaitConversationEventsRequest(waitMs: 5000),
            as: admin)
        #expect(first.events.map(\.eventType) == ["conversation.created", "message.received"])
        #expect(!first.events.contains { $0.payloadJson.contains("theirs") })
        _ = try await fixture.deliver(Payloads.whatsAppText(id: "wamid.\(UUID().uuidString)", text: "b"), to: channel)
        let resumed = try await fixture.call(
            Conversations.Service.waitConversationEvents,
            Conversations.WaitConversationEventsRequest(afterSeq: first.lastSeq, waitMs: 5000), as: admin)
        #expect(resumed.events.count == 1 && resumed.events[0].payloadJson.contains("\"b\""))
        #expect(resumed.events[0].seq > first.lastSeq)
        let consultant = IngestFixture.colleague(of: admin, role: "consultant")
        let seen = try await fixture.call(
            Conversations.Service.waitConversationEvents, Conversations.WaitConversationEventsRequest(waitMs: 5000),
            as: consultant)
        #expect(seen.events.count == 3)
    }

    @Test("a row of a transaction still open holds back later rows, so a resume never skips it")
    func feedHoldsBackUncommittedRows() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let organizationID = UUID(uuidString: admin.organizationId)!
        // A writer takes a seq and stays open while another commits a larger one.
        let release = AsyncStream<Void>.makeStream()
        let inserted = AsyncStream<Void>.makeStream()
        let holding = Task {
            defer { inserted.continuation.finish() }  // also when the insert fails: no hang
            try await fixture.database.withTransaction { connection in
                try await IngestStore.appendEvent(
                    organizationID: organizationID, conversationID: nil, type: "early", actorType: "system",
                    payload: PostgresJSON(text: "{}"), on: connection)
                inserted.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        // The late writer starts once the early one's row is in (not after a fixed sleep: with
        // the whole suite running, the early writer may wait that long for a connection).
        for await _ in inserted.stream { break }
        try await fixture.database.withTransaction { connection in
            try await IngestStore.appendEvent(
                organizationID: organizationID, conversationID: nil, type: "late", actorType: "system",
                payload: PostgresJSON(text: "{}"), on: connection)
        }
        let before = try await fixture.call(
            Conversations.Service.waitConversationEvents, Conversations.WaitConversationEventsRequest(), as: admin)
        #expect(before.events.isEmpty)
        release.continuation.yield()
        try await holding.value
        // Once the early writer commits, both show, in seq order (other tests' transactions
        // may hold "late" back a moment longer).
        var seen: [String] = []
        var last: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while seen.count < 2, ContinuousClock.now < deadline {
            let batch = try await fixture.call(
                Conversations.Service.waitConversationEvents,
                Conversations.WaitConversationEventsRequest(afterSeq: last, waitMs: 1000), as: admin)
            seen += batch.events.map(\.eventType)
            last = batch.lastSeq
        }
        #expect(seen == ["early", "late"])
    }

    @Test("a feed opened from now shows no history, then every later event")
    func feedFromNow() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let organizationID = UUID(uuidString: admin.organizationId)!
        func append(_ type: String) async throws {
            try await fixture.database.withTransaction { connection in
                try await IngestStore.appendEvent(
                    organizationID: organizationID, conversationID: nil, type: type, actorType: "system",
                    payload: PostgresJSON(text: "{}"), on: connection)
            }
        }
        let empty = try await fixture.call(
            Conversations.Service.waitConversationEvents,
            Conversations.WaitConversationEventsRequest(afterSeq: -1), as: admin)
        #expect(empty.events.isEmpty && empty.lastSeq == 0)
        try await append("old-1")
        try await append("old-2")
        // Other tests' transactions may hold the rows back a moment: wait until both show.
        var history: [Conversations.ConversationEvent] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while history.count < 2, ContinuousClock.now < deadline {
            history = try await fixture.call(
                Conversations.Service.waitConversationEvents,
                Conversations.WaitConversationEventsRequest(afterSeq: 0, waitMs: 500), as: admin
            ).events
        }
        #expect(history.map(\.eventType) == ["old-1", "old-2"])
        let now = try await fixture.call(
            Conversations.Service.waitConversationEvents,
            Conversations.WaitConversationEventsRequest(afterSeq: -1, waitMs: 1000), as: admin)
        #expect(now.events.isEmpty)
        #expect(now.lastSeq == history.last?.seq)
        try await append("new")
        var later: [String] = []
        while later.isEmpty, ContinuousClock.now < deadline + .seconds(10) {
            later = try await fixture.call(
                Conversations.Service.waitConversationEvents,
                Conversations.WaitConversationEventsRequest(afterSeq: now.lastSeq, waitMs: 1000), as: admin
            ).events.map(\.eventType)
        }
        #expect(later == ["new"])
        // Another organization's "now" is its own.
        let stranger = try await fixture.call(
            Conversations.Service.waitConversationEvents,
            Conversations.WaitConversationEventsRequest(afterSeq: -1), as: IngestFixture.newAdmin())
        #expect(stranger.events.isEmpty && stranger.lastSeq == 0)
    }

    @Test("a row committed first with a larger seq but an older transaction id does not skip the other")
    func feedOrdersByTransaction() async throws {
        // The older transaction takes its id first and its event's seq last, and commits
        // first; the younger one holds the smaller seq and commits last. A feed that moved on
        // by seq alone would show "second" and then skip "first" for good.
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let organizationID = UUID(uuidString: admin.organizationId)!
        func append(_ type: String, on connection: PostgresConnection) async throws {
            try await IngestStore.appendEvent(
                organizationID: organizationID, conversationID: nil, type: type, actorType: "system",
                payload: PostgresJSON(text: "{}"), on: connection)
        }
        func next(_ stream: AsyncStream<Void>) async { for await _ in stream { break } }
        let olderHasID = AsyncStream<Void>.makeStream()
        let youngerAppended = AsyncStream<Void>.makeStream()
        let olderMayAppend = AsyncStream<Void>.makeStream()
        let youngerMayCommit = AsyncStream<Void>.makeStream()
        let older = Task {
            defer { olderHasID.continuation.finish() }  // also on failure: no hang
            try await fixture.database.withTransaction { connection in
                _ = try await connection.query("SELECT pg_current_xact_id()")
                olderHasID.continuation.yield()
                await next(olderMayAppend.stream)
                try await append("second", on: connection)
            }
        }
        await next(olderHasID.stream)
        let younger = Task {
            defer { youngerAppended.continuation.finish() }
            try await fixture.database.withTransaction { connection in
                _ = try await connection.query("SELECT pg_current_xact_id()")
                try await append("first", on: connection)
                youngerAppended.continuation.yield()
                await next(youngerMayCommit.stream)
            }
        }
        await next(youngerAppended.stream)
        olderMayAppend.continuation.yield()
        try await older.value
        var seen: [String] = []
        let early = try await fixture.call(
            Conversations.Service.waitConversationEvents, Conversations.WaitConversationEventsRequest(), as: admin)
        seen += early.events.map(\.eventType)
        var last = early.lastSeq
        youngerMayCommit.continuation.yield()
        try await younger.value
        let deadline = ContinuousClock.now + .seconds(10)
        while seen.count < 2, ContinuousClock.now < deadline {
            let batch = try await fixture.call(
                Conversations.Service.waitConversationEvents,
                Conversations.WaitConversationEventsRequest(afterSeq: last, waitMs: 1000), as: admin)
            seen += batch.events.map(\.eventType)
            last = batch.lastSeq
        }
        #expect(seen.sorted() == ["first", "second"])
    }
}
