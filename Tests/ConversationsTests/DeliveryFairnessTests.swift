import Contracts
import Foundation
import Postgres
import ProviderFakes
import RPC
import Testing

@testable import ConversationsService

@Suite("Delivery queues: per-tenant fairness, rate limits, WhatsApp mark-as-read")
struct DeliveryFairnessTests {
    @Test("one organization's burst does not hold back another organization's message")
    func tenantsHaveTheirOwnQueues() async throws {
        let fixture = try await InboxFixture.shared()
        let busy = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: busy)
        for _ in 0..<30 {
            let conversation = try await fixture.conversation(on: channel)
            _ = try await fixture.call(
                Conversations.Service.sendOperatorMessage,
                Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "promo"),
                as: busy)
        }
        let quiet = InboxFixture.newAdmin()
        let other = try await fixture.conversation(on: try await fixture.channel("whatsapp", for: quiet))
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: other.lowercased, content: "oi"), as: quiet)
        // The claim every replica makes: the quiet organization's newer message is in the first
        // pass, beside at most a few of the busy one's.
        let claimed = try await fixture.database.withConnection { connection in
            try await connection.execute("BEGIN")
            let claimed = try await DeliveryStore.claimDue(perOrganization: 4, total: 64, on: connection)
            try await connection.execute("ROLLBACK")
            return claimed
        }
        let busyOrganization = UUID(uuidString: busy.organizationId)!
        #expect(claimed.contains { $0.messageID == UUID(uuidString: message.id) })
        #expect(claimed.filter { $0.organizationID == busyOrganization }.count == 4)
    }

    @Test("token buckets: 80 per second per WhatsApp number, then a wait; a contact's pair limit after 45")
    func rateLimits() {
        let limiter = SendRateLimiter()
        let number = SendRateLimiter.Limit(key: "channel:n", rate: 80, burst: 80)
        for _ in 0..<80 { #expect(limiter.acquire([number]) == nil) }
        let wait = limiter.acquire([number])
        #expect(wait != nil && wait! <= .milliseconds(13))
        let contact = SendRateLimiter.Limit(key: "contact:c", rate: 1.0 / 6, burst: 45)
        let other = SendRateLimiter.Limit(key: "channel:m", rate: 1000, burst: 1000)
        for _ in 0..<45 { #expect(limiter.acquire([other, contact]) == nil) }
        let pair = limiter.acquire([other, contact])
        #expect(pair != nil && pair! > .seconds(5))
        // A refused send takes no token from the other bucket.
        for _ in 0..<(1000 - 45) { #expect(limiter.acquire([other]) == nil) }
    }

    @Test("reading a WhatsApp conversation marks the newest inbound message read at Meta")
    func whatsAppMarkAsRead() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        try await fixture.contactSays("última", in: conversation, externalID: "wamid.LAST")
        let read = try await fixture.call(
            Conversations.Service.markConversationRead,
            Conversations.ConversationRequest(conversationId: conversation.lowercased), as: admin)
        #expect(read.unreadCount == 0)
        try await fixture.sendDue(for: admin)
        let received = fixture.provider.received(matching: channel.phoneNumberId)
        try #require(received.count == 1)
        #expect(received[0].json["status"] as? String == "read")
        #expect(received[0].json["message_id"] as? String == "wamid.LAST")
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND read_at IS NULL", [conversation])
                == 0)
    }
}
