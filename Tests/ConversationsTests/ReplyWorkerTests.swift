import Contracts
import Foundation
import Postgres
import ProviderFakes
import RPC
import ServiceKit
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

    @Test("agents get the conversation's last 30 messages, newest first")
    func historyNewestFirst() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(
            on: try await fixture.channel("telegram", for: admin), contactMessage: "mensagem 0", minutesAgo: 40)
        for minute in 1..<35 {
            try await fixture.contactSays("mensagem \(minute)", in: conversation, minutesAgo: 40 - minute)
        }
        try await fixture.requestReply(in: conversation)
        try await fixture.replyDue(for: admin)
        let asked = try #require(
            fixture.agents.requests.withLock { $0.last { $0.conversationId == conversation.lowercased } })
        #expect(asked.history.map(\.content) == (5..<35).reversed().map { "mensagem \($0)" })
        #expect(asked.history.allSatisfy { $0.senderType == "contact" && $0.messageType == "text" })
    }

    @Test("a reply that writes nothing ends its job alone: no wait for the conversation's lock, no delivery wake-up")
    func nothingToWrite() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(uuidString: admin.organizationId)!
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        try await fixture.requestReply(in: conversation)
        let job = try await fixture.replyJob(in: conversation, organizationID: organization)
        let jobID = job.id
        let deliveries = Wakeup()
        let worker = ReplyWorker(
            database: fixture.database, agents: fixture.replies.agents, identity: fixture.replies.identity,
            state: nil, logger: fixture.replies.logger, wakeup: Wakeup(), deliveryWakeup: deliveries)
        // An operator's transaction holds the conversation's row meanwhile: a job that
        // locked it would wait for that transaction.
        let (ended, applying) = try await fixture.database.withTransaction { connection in
            _ = try await connection.query("SELECT id FROM conversations WHERE id = $1 FOR UPDATE", [conversation])
            let applying = Task {
                try await worker.apply(
                    Agents.GenerateReplyResponse(outcome: .noReply, detail: "agent_not_published"), to: job,
                    assignable: [])
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                let status = try await fixture.text("SELECT status AS v FROM reply_jobs WHERE id = $1", [jobID])
                if status == "done" { return (true, applying) }
                try await Task.sleep(for: .milliseconds(20))
            }
            return (false, applying)
        }
        #expect(ended)
        #expect(try await applying.value == nil)
        #expect(
            try await fixture.text(
                "SELECT status || '/' || result || '/' || last_error AS v FROM reply_jobs WHERE id = $1", [jobID])
                == "done/no_reply/agent_not_published")
        #expect(await deliveries.wait(timeout: .milliseconds(50)) == false)
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM outbound_deliveries WHERE conversation_id = $1", [conversation]) == 0)

        // A reply to send wakes the delivery worker (this worker sends nothing itself).
        _ = try await worker.apply(
            Agents.GenerateReplyResponse(outcome: .replied, content: "Olá!"), to: job, assignable: [])
        #expect(await deliveries.wait(timeout: .seconds(1)))
    }

    @Test(
        "a reply is stored in four round trips: BEGIN with the lock, the message, timeline with delivery, job end with COMMIT; its notifications in one more"
    )
    func replyRoundTrips() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(canonicalText: admin.organizationId)!
        let channel = try await fixture.channel("telegram", for: admin)
        // One connection, so that its count of exchanges is the worker's.
        var configuration = fixture.database.configuration
        configuration.poolSize = 1
        let single = PostgresClient(configuration: configuration, logger: fixture.replies.logger)
        let worker = ReplyWorker(
            database: single, agents: fixture.replies.agents, identity: fixture.replies.identity, state: nil,
            logger: fixture.replies.logger, wakeup: Wakeup(), deliveryWakeup: Wakeup())
        var trips: [Int] = []
        // The first reply also prepares the statements on the connection; the second is measured.
        for _ in 0..<2 {
            let conversation = try await fixture.conversation(on: channel)
            try await fixture.requestReply(in: conversation)
            let job = try await fixture.replyJob(in: conversation, organizationID: organization)
            let jobID = job.id
            // The notifications a commit asks for go out after it, from a task of their own on
            // the pool's connection: let them go before each count, so that each reply's count
            // holds its own (one statement) and nothing else.
            try await Task.sleep(for: .milliseconds(200))
            let before = try await single.withConnection { $0.roundTrips }
            _ = try await worker.apply(
                Agents.GenerateReplyResponse(outcome: .replied, content: "Olá!"), to: job, assignable: [])
            try await Task.sleep(for: .milliseconds(200))
            trips.append(try await single.withConnection { $0.roundTrips } - before)
            #expect(
                try await fixture.text(
                    "SELECT status || '/' || result AS v FROM reply_jobs WHERE id = $1", [jobID]) == "done/replied")
            #expect(
                try await fixture.count(
                    "SELECT count(*) AS n FROM outbound_deliveries WHERE conversation_id = $1", [conversation]) == 1)
            #expect(
                try await fixture.count(
                    "SELECT count(*) AS n FROM conversation_events WHERE conversation_id = $1 AND event_type = 'message.queued'",
                    [conversation]) == 1)
        }
        await single.close()
        // Four for the transaction, one for its notifications after commit.
        #expect(trips.last == 5, "round trips of each reply: \(trips)")
    }

    @Test("the context says a job is superseded while a newer job of its conversation is pending, and only then")
    func supersededByANewerJob() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(uuidString: admin.organizationId)!
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        for _ in 0..<2 { try await fixture.requestReply(in: conversation) }
        let ids = try await fixture.database.query(
            "SELECT id FROM reply_jobs WHERE conversation_id = $1 ORDER BY created_at, id", [conversation]
        ).map { try $0.decode(UUID.self, "id") }
        try #require(ids.count == 2)
        func superseded(_ id: UUID) async throws -> Bool? {
            let job = ReplyJob(
                id: id, organizationID: organization, conversationID: conversation, triggerMessageID: UUID(),
                attempts: 1)
            return try await fixture.database.withConnection {
                try await ReplyJobStore.context(job, historyLimit: 30, on: $0)?.superseded
            }
        }
        #expect(try await superseded(ids[0]) == true)
        try await fixture.database.withConnection {
            // (Test servers commit asynchronously anyway: the session asks for synchronous commits.)
            try await $0.execute("SET synchronous_commit = on")
            try await ReplyJobStore.finishAlone(ids[1], status: "done", result: "no_reply", on: $0)
            // The asynchronous commit was that statement's own: the session commits as before.
            let setting = try await $0.query("SHOW synchronous_commit").firstRow?.decode(
                String.self, "synchronous_commit")
            try await $0.execute("RESET synchronous_commit")
            #expect(setting == "on")
        }
        #expect(try await superseded(ids[0]) == false)
        #expect(try await superseded(ids[1]) == true)
    }

    @Test("in mode hybrid the AI keeps answering while an operator follows; the operator who writes takes over")
    func hybridMode() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        let request = Conversations.ConversationRequest(conversationId: conversation.lowercased)
        func patch(_ mode: String, priority: String? = nil) async throws -> Conversations.InboxConversation {
            var update = Conversations.UpdateConversationRequest(conversationId: conversation.lowercased)
            update.mode = mode
            update.priority = priority
            return try await fixture.call(Conversations.Service.updateConversation, update, as: admin)
        }
        let following = try await patch("hybrid", priority: "high")
        #expect(following.mode == "hybrid" && following.assignedToUserId == admin.userId)
        #expect(following.priority == "high")
        fixture.agents.answers.withLock {
            $0[conversation.lowercased] = Agents.GenerateReplyResponse(outcome: .replied, content: "Posso ajudar!")
        }
        try await fixture.requestReply(in: conversation)
        try await fixture.replyDue(for: admin)
        #expect(
            try await fixture.text("SELECT result AS v FROM reply_jobs WHERE conversation_id = $1", [conversation])
                == "replied")
        // A job that was due while the operator followed is answered; a reply finished after
        // the operator wrote is dropped (mode human).
        let job = ReplyJob(
            id: UUID(), organizationID: UUID(uuidString: admin.organizationId)!, conversationID: conversation,
            triggerMessageID: UUID(), attempts: 1)
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Sou a Ada"),
            as: admin)
        #expect(try await fixture.inbox(conversation, as: admin).mode == "human")
        try await fixture.replies.apply(
            Agents.GenerateReplyResponse(outcome: .replied, content: "tarde demais"), to: job, assignable: [])
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND sender_type = 'ai'", [conversation])
                == 1)
        // The mode through PATCH: ai hands back, an unknown mode is refused, a closed
        // conversation's mode stays.
        #expect(try await patch("ai").mode == "ai")
        #expect(await fixture.failure { try await patch("robot") } == .invalidArgument)
        _ = try await fixture.call(Conversations.Service.closeConversation, request, as: admin)
        #expect(await fixture.failure { try await patch("hybrid") } == .failedPrecondition)
        #expect(try await fixture.inbox(conversation, as: admin).mode == "ai")
        let timeline = try await fixture.call(
            Conversations.Service.listConversationTimeline,
            Conversations.ListConversationTimelineRequest(conversationId: conversation.lowercased), as: admin)
        #expect(
            timeline.events.contains {
                $0.eventType == "mode_changed"
                    && (try? JSONSerialization.jsonObject(with: Data($0.payloadJson.utf8)) as? [String: Any])?["to"]
                        as? String == "hybrid"
            })
    }

    @Test("a handoff starts the return-to-AI clock of the organization's setting")
    func handoffStartsTheIdleClock() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        fixture.directory.users.withLock {
            $0[admin.organizationId] = [Identity.AssignableUser(id: admin.userId, fullName: "Ada", role: "admin")]
        }
        fixture.directory.settings.withLock {
            $0[admin.organizationId] = #"{"conversations":{"return_to_ai_after_minutes":5}}"#
        }
        let conversation = try await fixture.conversation(on: try await fixture.channel("telegram", for: admin))
        fixture.agents.answers.withLock {
            $0[conversation.lowercased] = Agents.GenerateReplyResponse(outcome: .noReply, handoff: true)
        }
        try await fixture.requestReply(in: conversation)
        try await fixture.replyDue(for: admin)
        #expect(try await fixture.inbox(conversation, as: admin).mode == "human")
        try await fixture.idleOperator(conversation, quietFor: 6, as: admin)
        let back = try await fixture.inbox(conversation, as: admin)
        #expect(back.mode == "ai" && back.status == "active")
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

@Suite("Reply worker: a reply that can go out at once is sent by its own job")
struct ReplySentAtOnceTests {
    /// The fixture's worker, with the fixture's delivery worker as its sender.
    func sendingWorker(_ fixture: InboxFixture) -> ReplyWorker {
        ReplyWorker(
            database: fixture.database, agents: fixture.replies.agents, identity: fixture.replies.identity,
            state: nil, logger: fixture.replies.logger, wakeup: Wakeup(), deliveryWakeup: Wakeup(),
            sender: fixture.sender)
    }

    @Test("the reply's transaction records the send intent and the job sends it: no pass of the queue")
    func sentByTheJob() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(uuidString: admin.organizationId)!
        let channel = try await fixture.channel("telegram", for: admin)
        let conversation = try await fixture.conversation(on: channel, contactMessage: "Vocês abrem sábado?")
        fixture.agents.answers.withLock {
            $0[conversation.lowercased] = Agents.GenerateReplyResponse(
                outcome: .replied, content: "Sim, das 9h às 13h.")
        }
        try await fixture.requestReply(in: conversation)
        let worker = sendingWorker(fixture)
        #expect(await worker.runOnce(organizationID: organization) == 1)

        // Sent once, with the channel's bot token, without the delivery worker's pass.
        let received = fixture.provider.received(matching: "/sendMessage").filter { $0.text == "Sim, das 9h às 13h." }
        #expect(received.count == 1 && received.first?.path.hasPrefix("/bot123:tg") == true)
        let row = try #require(
            try await fixture.database.query(
                """
                SELECT d.status, d.attempts, d.sending_started_at IS NOT NULL AS intent, m.status AS message_status,
                       m.external_id IS NOT NULL AS has_external_id
                FROM outbound_deliveries d JOIN messages m ON m.id = d.message_id
                WHERE d.conversation_id = $1
                """, [conversation]
            ).firstRow)
        #expect(try row.decode(String.self, "status") == "sent" && row.decode(Int.self, "attempts") == 1)
        #expect(try row.decode(Bool.self, "intent"))
        #expect(try row.decode(String.self, "message_status") == "sent" && row.decode(Bool.self, "has_external_id"))
        #expect(fixture.sender.sendsInFlight(of: organization) == 0)
        #expect(try await fixture.sendDue(for: admin) == 0)
    }

    @Test("a reply whose process stops between its commit and the send goes out once, after the hold")
    func heldReplySentOnceAfterACrash() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(uuidString: admin.organizationId)!
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel, contactMessage: "Tem estacionamento?")
        let job = ReplyJob(
            id: UUID(), organizationID: organization, conversationID: conversation, triggerMessageID: UUID(),
            attempts: 1)
        let worker = sendingWorker(fixture)
        let claimed = try #require(
            try await worker.apply(
                Agents.GenerateReplyResponse(outcome: .replied, content: "Sim, gratuito."), to: job, assignable: []))
        // The process stops here (dies, or stalls past the hold): no send intent recorded.
        func row() async throws -> (status: String, attempts: Int) {
            let row = try #require(
                try await fixture.database.query(
                    "SELECT status, attempts FROM outbound_deliveries WHERE id = $1", [claimed.delivery.id]
                ).firstRow)
            return (try row.decode(String.self, "status"), try row.decode(Int.self, "attempts"))
        }
        #expect(try await row() == ("pending", 0))
        // Held for the dead process: no other worker takes it before the hold passes.
        #expect(try await fixture.sendDue(for: admin) == 0)
        // The hold passes.
        try await fixture.database.execute(
            "UPDATE outbound_deliveries SET next_attempt_at = CURRENT_TIMESTAMP WHERE id = $1", [claimed.delivery.id])
        try await fixture.sendDue(for: admin)
        #expect(try await row() == ("sent", 1))
        let received = fixture.provider.received(matching: channel.phoneNumberId).filter { $0.text == "Sim, gratuito." }
        #expect(received.count == 1)
        // A process that only stalled sends late: it finds the row taken, sends nothing and
        // gives its slot back.
        await fixture.sender.send(claimed)
        #expect(
            fixture.provider.received(matching: channel.phoneNumberId).filter { $0.text == "Sim, gratuito." }.count == 1
        )
        #expect(fixture.sender.sendsInFlight(of: organization) == 0)
    }

    @Test("behind an open delivery of the conversation the reply is queued, in order, and its slot given back")
    func queuedBehindAnOpenDelivery() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let organization = UUID(uuidString: admin.organizationId)!
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel, contactMessage: "Oi")
        func job() -> ReplyJob {
            ReplyJob(
                id: UUID(), organizationID: organization, conversationID: conversation, triggerMessageID: UUID(),
                attempts: 1)
        }
        // The first reply waits in the queue (a worker without a sender).
        #expect(
            try await fixture.replies.apply(
                Agents.GenerateReplyResponse(outcome: .replied, content: "primeira"), to: job(), assignable: [])
                == nil)
        let worker = sendingWorker(fixture)
        let second = try await worker.apply(
            Agents.GenerateReplyResponse(outcome: .replied, content: "segunda"), to: job(), assignable: [])
        #expect(second == nil)
        #expect(fixture.sender.sendsInFlight(of: organization) == 0)
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM outbound_deliveries WHERE conversation_id = $1 AND status = 'pending'",
                [conversation]) == 2)

        try await fixture.sendDue(for: admin)
        let texts = fixture.provider.received(matching: channel.phoneNumberId).map(\.text)
        #expect(texts == ["primeira", "segunda"])

        // With the queue empty, the next reply goes out from its own transaction.
        let third = try await worker.apply(
            Agents.GenerateReplyResponse(outcome: .replied, content: "terceira"), to: job(), assignable: [])
        let claimed = try #require(third)
        #expect(fixture.sender.sendsInFlight(of: organization) == 1)
        await fixture.sender.deliver(claimed.delivery, credentials: claimed.credentials)
        #expect(fixture.sender.sendsInFlight(of: organization) == 0)
        #expect(
            fixture.provider.received(matching: channel.phoneNumberId).map(\.text) == [
                "primeira", "segunda", "terceira",
            ])
    }
}
