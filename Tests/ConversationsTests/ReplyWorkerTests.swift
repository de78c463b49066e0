import Contracts
import Foundation
import Postgres
import ProviderFakes
import RPC
import Synchronization
import Testing

@testable import ConversationsService

@Suite("Reply worker: agents' replies stored and sent, no agent, handoff and round-robin assignment")
struct ReplyWorkerTests {
    @Test("with agents not deployed the job records no_agent and nothing is sent")
    func noAgent() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        try await fixture.requestReply(in: conversation)
        try await fixture.replyDue(for: admin)
        #expect(
            try await fixture.text(
                "SELECT status || '/' || result AS v FROM reply_jobs WHERE conversation_id = $1", [conversation])
                == "done/no_agent")
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND sender_type = 'ai'", [conversation])
                == 0)
    }

    @Test("the agent's reply is stored with model, tokens, confidence and intent, then sent once")
    func replyStoredAndSent() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel, contactMessage: "Quanto custa?")
        fixture.agents.answers.withLock {
            $0[conversation.lowercased] = Agents.GenerateReplyResponse(
                outcome: .replied, content: "O plano custa R$ 99.", model: "gpt-4.1-mini", promptTokens: 120,
                completionTokens: 12, processingTimeMs: 840, confidence: 0.87, intent: "pricing",
                entitiesJson: #"{"product":"plano"}"#, tags: ["preço"])
        }
        try await fixture.requestReply(in: conversation)
        try await fixture.replyDue(for: admin)
        let asked = try #require(
            fixture.agents.requests.withLock { $0.last { $0.conversationId == conversation.lowercased } })
        #expect(asked.history.first?.content == "Quanto custa?" && asked.history.first?.senderType == "contact")
        #expect(asked.channelType == "whatsapp" && asked.timeZone == "America/Sao_Paulo" && asked.aiTurns == 0)

        let row = try #require(
            try await fixture.database.query(
                """
                SELECT content, ai_generated, ai_model, ai_confidence::float8 AS confidence, prompt_tokens,
                       completion_tokens, ai_processing_time_ms, intent, entities::text AS entities, status
                FROM messages WHERE conversation_id = $1 AND sender_type = 'ai'
                """, [conversation]
            ).firstRow)
        #expect(try row.decode(String.self, "content") == "O plano custa R$ 99.")
        #expect(try row.decode(Bool.self, "ai_generated") && row.decode(String.self, "ai_model") == "gpt-4.1-mini")
        #expect(try row.decode(Double.self, "confidence") == 0.87 && row.decode(Int.self, "prompt_tokens") == 120)
        #expect(
            try row.decode(Int.self, "completion_tokens") == 12 && row.decode(Int.self, "ai_processing_time_ms") == 840)
        #expect(
            try row.decode(String.self, "intent") == "pricing" && row.decode(String.self, "entities").contains("plano"))
        #expect(try row.decode(String.self, "status") == "pending")
        #expect(
            try await fixture.text("SELECT result AS v FROM reply_jobs WHERE conversation_id = $1", [conversation])
                == "replied")
        #expect(try await fixture.inbox(conversation, as: admin).tags == ["preço"])

        try await fixture.sendDue(for: admin)
        let received = fixture.provider.received(matching: channel.phoneNumberId)
        #expect(received.count == 1 && received.first?.text == "O plano custa R$ 99.")
        let stats = try await fixture.inbox(conversation, as: admin)
        #expect(stats.aiMessageCount == 1 && stats.firstResponseTimeMs != nil)
    }

    @Test("an operator who takes over while the agent thinks silences the reply")
    func takeoverWinsOverReply() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        let job = ReplyJob(
            id: UUID(), organizationID: UUID(uuidString: admin.organizationId)!, conversationID: conversation,
            triggerMessageID: UUID(), attempts: 1)
        _ = try await fixture.call(
            Conversations.Service.takeOverConversation, .init(conversationId: conversation.lowercased), as: admin)
        try await fixture.replies.apply(
            Agents.GenerateReplyResponse(outcome: .replied, content: "tarde demais"), to: job, assignable: [])
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND sender_type = 'ai'", [conversation])
                == 0)
    }

    @Test("handoffs are assigned round-robin among assignable users; with nobody, waiting, unassigned, high priority")
    func handoffAssignment() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let first = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
        let second = UUID(uuidString: "00000000-0000-4000-8000-000000000002")!
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [
                Identity.AssignableUser(id: first.lowercased, fullName: "Um", role: "consultant"),
                Identity.AssignableUser(id: second.lowercased, fullName: "Dois", role: "consultant"),
            ]
        }
        let channel = try await fixture.channel("telegram", for: admin)
        var assignees: [String] = []
        for _ in 0..<3 {
            let conversation = try await fixture.conversation(on: channel)
            fixture.agents.answers.withLock {
                $0[conversation.lowercased] = Agents.GenerateReplyResponse(
                    outcome: .replied, content: "Vou chamar um atendente.", handoff: true,
                    handoffReason: "asked for a human")
            }
            try await fixture.requestReply(in: conversation)
            try await fixture.replyDue(for: admin)
            let state = try await fixture.inbox(conversation, as: admin)
            #expect(state.status == "waiting" && state.mode == "human")
            assignees.append(state.assignedToUserId)
            #expect(
                try await fixture.count(
                    "SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'conversation.handoff'",
                    [conversation]) == 1)
        }
        #expect(assignees == [first.lowercased, second.lowercased, first.lowercased])

        let lonely = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: lonely))
        fixture.agents.answers.withLock {
            $0[conversation.lowercased] = Agents.GenerateReplyResponse(outcome: .noReply, handoff: true)
        }
        try await fixture.requestReply(in: conversation)
        try await fixture.replyDue(for: lonely)
        let state = try await fixture.inbox(conversation, as: lonely)
        #expect(state.status == "waiting" && state.mode == "human")
        #expect(state.assignedToUserId.isEmpty && state.priority == "high")
    }
}
