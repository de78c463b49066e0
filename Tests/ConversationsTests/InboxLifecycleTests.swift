import Contracts
import Foundation
import Postgres
import RPC
import Synchronization
import Testing

@testable import ConversationsService

@Suite("Inbox lifecycle: take over, hand back, transfer, close, reopen, priority, tags, timeline")
struct InboxLifecycleTests {
    @Test("each operator change is a timeline row and an outbox event")
    func lifecycleRecordsEvents() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let colleague = InboxFixture.colleague(of: admin, role: "consultant")
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [
                Identity.AssignableUser(id: admin.userId, fullName: "Ada Admin", role: "admin"),
                Identity.AssignableUser(id: colleague.userId, fullName: "Carla Consultora", role: "consultant"),
            ]
        }
        let channel = try await fixture.channel("telegram", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        let request = Conversations.ConversationRequest(conversationId: conversation.lowercased)

        var state = try await fixture.call(Conversations.Service.takeOverConversation, request, as: admin)
        #expect(state.mode == "human" && state.assignedToUserId == admin.userId && state.assignedToName == "Ada Admin")
        state = try await fixture.call(
            Conversations.Service.transferConversation,
            Conversations.TransferConversationRequest(
                conversationId: conversation.lowercased, userId: colleague.userId),
            as: admin)
        #expect(state.assignedToUserId == colleague.userId && state.assignedToName == "Carla Consultora")
        // Carla is deactivated: no longer assignable, her conversation still shows her name.
        fixture.directory.formerUsers.withLock { $0[colleague.userId] = "Carla Consultora" }
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [Identity.AssignableUser(id: admin.userId, fullName: "Ada Admin", role: "admin")]
        }
        #expect(try await fixture.inbox(conversation, as: admin).assignedToName == "Carla Consultora")
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [
                Identity.AssignableUser(id: admin.userId, fullName: "Ada Admin", role: "admin"),
                Identity.AssignableUser(id: colleague.userId, fullName: "Carla Consultora", role: "consultant"),
            ]
        }
        state = try await fixture.call(Conversations.Service.handBackConversation, request, as: colleague)
        #expect(state.mode == "ai" && state.status == "active")
        state = try await fixture.call(
            Conversations.Service.updateConversation,
            Conversations.UpdateConversationRequest(
                conversationId: conversation.lowercased, priority: "urgent", tags: ["vip", "orçamento"], setTags: true),
            as: colleague)
        #expect(state.priority == "urgent" && state.tags == ["vip", "orçamento"])
        state = try await fixture.call(Conversations.Service.closeConversation, request, as: admin)
        #expect(state.status == "closed" && !state.closedAt.isEmpty)
        state = try await fixture.call(Conversations.Service.reopenConversation, request, as: admin)
        #expect(state.status == "active" && state.closedAt.isEmpty)

        let timeline = try await fixture.call(
            Conversations.Service.listConversationTimeline,
            Conversations.ListConversationTimelineRequest(conversationId: conversation.lowercased), as: admin)
        let types = timeline.events.map(\.eventType)
        #expect(
            types == [
                "mode_changed", "assigned", "assigned", "mode_changed", "updated", "conversation.closed", "reopened",
            ])
        #expect(timeline.events.allSatisfy { !$0.createdAt.isEmpty && $0.conversationId == conversation.lowercased })
        let outbox = try await fixture.database.query(
            "SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY sequence", [conversation]
        ).map { try $0.decode(String.self, "event_type") }
        #expect(
            outbox == [
                "conversation.handoff", "conversation.assigned", "conversation.assigned", "conversation.returned_to_ai",
                "conversation.updated", "conversation.closed", "conversation.reopened",
            ])
        // Paging the timeline.
        let first = try await fixture.call(
            Conversations.Service.listConversationTimeline,
            Conversations.ListConversationTimelineRequest(conversationId: conversation.lowercased, limit: 4), as: admin)
        #expect(first.events.count == 4 && first.nextAfterSeq == first.events[3].seq)
        let rest = try await fixture.call(
            Conversations.Service.listConversationTimeline,
            Conversations.ListConversationTimelineRequest(
                conversationId: conversation.lowercased, afterSeq: first.nextAfterSeq, limit: 4), as: admin)
        #expect(rest.events.count == 3 && rest.nextAfterSeq == 0)
    }

    @Test("a transfer to someone who may not handle conversations is refused")
    func transferToUnknownUser() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [Identity.AssignableUser(id: admin.userId, fullName: "Ada", role: "admin")]
        }
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.transferConversation,
                    Conversations.TransferConversationRequest(
                        conversationId: conversation.lowercased, userId: UUID().lowercased), as: admin)
            } == .failedPrecondition)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.transferConversation,
                    Conversations.TransferConversationRequest(conversationId: conversation.lowercased, userId: "x"),
                    as: admin)
            } == .invalidArgument)
        // identity not answering (here: no directory for the organization) is "try again", not
        // "that user may not handle conversations", and changes nothing.
        let orphan = InboxFixture.newAdmin()
        let unanswered = try await fixture.conversation(on: try await fixture.channel("telegram", for: orphan))
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.transferConversation,
                    Conversations.TransferConversationRequest(
                        conversationId: unanswered.lowercased, userId: UUID().lowercased), as: orphan)
            } == .unavailable)
        #expect(try await fixture.inbox(unanswered, as: orphan).assignedToUserId == "")
    }

    @Test("reopening is refused while the contact has another open conversation on the channel")
    func reopenConflict() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("telegram", for: admin)
        let old = try await fixture.conversation(on: channel, contact: "4242")
        _ = try await fixture.call(
            Conversations.Service.closeConversation, Conversations.ConversationRequest(conversationId: old.lowercased),
            as: admin)
        _ = try await fixture.conversation(on: channel, contact: "4242")
        let refused = await fixture.error {
            try await fixture.call(
                Conversations.Service.reopenConversation,
                Conversations.ConversationRequest(conversationId: old.lowercased), as: admin)
        }
        #expect(refused?.code == .failedPrecondition)
    }

    @Test("an operator who goes quiet returns the conversation to AI after the organization's setting")
    func idleOperatorReturnsToAI() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        fixture.directory.settings.withLock {
            $0[admin.organizationId] = #"{"conversations":{"return_to_ai_after_minutes":5}}"#
        }
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        _ = try await fixture.call(
            Conversations.Service.takeOverConversation,
            Conversations.ConversationRequest(conversationId: conversation.lowercased), as: admin)
        try await fixture.idleOperator(conversation, quietFor: 6, as: admin)
        #expect(try await fixture.inbox(conversation, as: admin).mode == "ai")
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'conversation.returned_to_ai'",
                [conversation]) == 1)
    }

    @Test("a conversation transferred straight from AI to someone who never acts returns to AI after the setting")
    func transferStartsTheIdleClock() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let colleague = InboxFixture.colleague(of: admin, role: "consultant")
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [
                Identity.AssignableUser(id: admin.userId, fullName: "Ada Admin", role: "admin"),
                Identity.AssignableUser(id: colleague.userId, fullName: "Carla Consultora", role: "consultant"),
            ]
        }
        fixture.directory.settings.withLock {
            $0[admin.organizationId] = #"{"conversations":{"return_to_ai_after_minutes":5}}"#
        }
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        let transferred = try await fixture.call(
            Conversations.Service.transferConversation,
            Conversations.TransferConversationRequest(
                conversationId: conversation.lowercased, userId: colleague.userId),
            as: admin)
        #expect(transferred.mode == "human" && transferred.assignedToUserId == colleague.userId)
        try await fixture.idleOperator(conversation, quietFor: 6, as: admin)
        #expect(try await fixture.inbox(conversation, as: admin).mode == "ai")
    }

    @Test(
        "a contact's reaction or unsupported message starts no wait: the response times stay those of real questions",
        arguments: ["reaction", "unsupported"])
    func reactionStartsNoWait(contentType: String) async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(
            on: try await fixture.channel("telegram", for: admin), minutesAgo: 2)
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Oi"), as: admin)
        let answered = try await fixture.inbox(conversation, as: admin)
        try await fixture.database.execute(
            """
            INSERT INTO messages (conversation_id, sender_type, content, content_type, direction, status, created_at)
            VALUES ($1, 'contact', '👍', $2, 'inbound', 'received', clock_timestamp() - interval '1 minute')
            """, [conversation, contentType])
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM conversations WHERE id = $1 AND awaiting_response_since IS NULL",
                [conversation]) == 1)
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "De nada"),
            as: admin)
        let after = try await fixture.inbox(conversation, as: admin)
        #expect(after.avgResponseTimeMs == answered.avgResponseTimeMs)
        #expect(after.firstResponseTimeMs == answered.firstResponseTimeMs)
        #expect(after.messageCount == answered.messageCount + 2)
    }

    @Test("response times: first and average time from a contact's message to the reply")
    func responseTimes() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(
            on: try await fixture.channel("telegram", for: admin), minutesAgo: 2)
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Oi"), as: admin)
        let first = try await fixture.inbox(conversation, as: admin)
        let firstMs = try #require(first.firstResponseTimeMs)
        #expect(firstMs >= 119_000 && firstMs < 180_000)
        #expect(first.avgResponseTimeMs == firstMs)
        try await fixture.contactSays("Mais uma pergunta", in: conversation, minutesAgo: 0)
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Claro"),
            as: admin)
        let second = try await fixture.inbox(conversation, as: admin)
        #expect(second.firstResponseTimeMs == firstMs)
        let average = try #require(second.avgResponseTimeMs)
        #expect(average < firstMs && average >= firstMs / 2 - 1)
        #expect(second.messageCount == 4 && second.humanMessageCount == 2)
    }
}
