import Contracts
import Foundation
import Postgres
import ServiceKit
import Testing

@testable import ConversationsService

@Suite("Work queued on one replica wakes the workers of the others through NOTIFY")
struct WorkNotificationsTests {
    /// Starts `listener` and returns once its `LISTEN` is active.
    static func listening(_ listener: WorkNotifications) async -> Task<Void, Never> {
        let (ready, signal) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            await listener.listen(ready: {
                signal.yield()
                signal.finish()
            })
        }
        for await _ in ready { break }
        return task
    }

    @Test("a stored message asking for a reply and a queued delivery wake another replica's workers, not this one's")
    func queuedWorkWakesOtherReplicas() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(canonicalText: admin.organizationId)!
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        let logger = fixture.replies.logger
        // Everything this test process sends carries WorkNotifications.replica: to `other`
        // it comes from another replica, to `own` from itself.
        let (otherReplies, otherDeliveries, ownReplies, ownDeliveries) = (Wakeup(), Wakeup(), Wakeup(), Wakeup())
        let other = await Self.listening(
            WorkNotifications(
                database: fixture.database, schema: "conversations", replies: otherReplies,
                deliveries: otherDeliveries, logger: logger, ownReplica: "another-replica"))
        let own = await Self.listening(
            WorkNotifications(
                database: fixture.database, schema: "conversations", replies: ownReplies, deliveries: ownDeliveries,
                logger: logger))
        defer {
            other.cancel()
            own.cancel()
        }

        let stored = try await fixture.database.withConnection {
            try await IngestStore.storeMessage(
                id: UUID(), conversationID: conversation, organizationID: organization,
                message: InboundMessage(
                    externalID: "tg.\(UUID().uuidString)", contactIdentifier: "5511900000000", contactName: nil,
                    contactPhone: nil, contentType: "text", content: "Oi", mediaURL: nil, mediaMetadata: nil,
                    externalMetadata: "{}", sentAt: nil),
                requestReply: true, event: PostgresJSON(text: "{}"), on: $0)
        }
        #expect(stored)
        #expect(await otherReplies.wait(timeout: .seconds(5)))

        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Olá"),
            as: admin)
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM outbound_deliveries WHERE conversation_id = $1 AND status = 'pending'",
                [conversation]) == 1)
        #expect(await otherDeliveries.wait(timeout: .seconds(5)))

        // The same notifications reached this replica's listener, which left its workers alone:
        // they were signalled directly.
        #expect(await ownReplies.wait(timeout: .milliseconds(300)) == false)
        #expect(await ownDeliveries.wait(timeout: .milliseconds(300)) == false)
    }
}
