import Contracts
import Foundation
import Postgres
import ProviderFakes
import RPC
import Testing

@testable import ConversationsService

@Suite("Outbound delivery: WhatsApp, Instagram and Telegram fakes over HTTP, retries, failures, windows")
struct DeliveryTests {
    @Test("an operator's WhatsApp message goes out once, stops the AI and records the provider's id")
    func operatorMessageSentOnce() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel, contact: "5511987650001")
        try await fixture.requestReply(in: conversation)

        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Oi Maria!"),
            as: admin)
        #expect(message.status == "pending" && message.senderType == "user" && message.senderId == admin.userId)
        let after = try await fixture.inbox(conversation, as: admin)
        #expect(after.mode == "human" && after.assignedToUserId == admin.userId)
        // The AI's pending reply was called off at once.
        #expect(
            try await fixture.text(
                "SELECT status || '/' || result AS v FROM reply_jobs WHERE conversation_id = $1", [conversation])
                == "skipped/human_mode")

        try await fixture.sendDue(for: admin)
        let received = fixture.provider.received(matching: channel.phoneNumberId)
        try #require(received.count == 1)
        #expect(received[0].path == "/v21.0/\(channel.phoneNumberId)/messages")
        #expect(received[0].authorization?.hasPrefix("Bearer wa-token-") == true)
        #expect(received[0].text == "Oi Maria!")
        #expect(received[0].json["to"] as? String == "5511987650001")
        #expect(received[0].json["type"] as? String == "text")

        let page = try await fixture.call(
            Conversations.Service.listMessages,
            Conversations.ListMessagesRequest(conversationId: conversation.lowercased), as: admin)
        let sent = try #require(page.messages.first { $0.id == message.id })
        #expect(sent.status == "sent" && sent.externalId.hasPrefix("wamid.FAKE") && !sent.sentAt.isEmpty)
        // Nothing more to send: exactly one request.
        try await fixture.sendDue(for: admin)
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 1)
        for event in ["message.sent", "conversation.handoff", "conversation.assigned"] {
            #expect(
                try await fixture.count(
                    "SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND event_type = $2",
                    [conversation, event]) == 1, "\(event)")
        }
    }

    @Test("outside WhatsApp's 24-hour window text is refused with a clear error and a template goes out")
    func windowNeedsTemplate() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel, minutesAgo: 25 * 60)
        let refused = await fixture.error {
            try await fixture.call(
                Conversations.Service.sendOperatorMessage,
                Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Oi?"),
                as: admin)
        }
        #expect(refused?.code == .failedPrecondition)
        #expect(refused?.message.contains("24-hour") == true)
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND direction = 'outbound'",
                [conversation]) == 0)

        let template = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(
                conversationId: conversation.lowercased,
                template: Conversations.MessageTemplate(
                    name: "order_update", language: "pt_BR", parameters: ["Maria", "#123"])), as: admin)
        #expect(template.contentType == "template")
        try await fixture.sendDue(for: admin)
        let received = fixture.provider.received(matching: channel.phoneNumberId)
        try #require(received.count == 1)
        let body = received[0].json
        #expect(body["type"] as? String == "template")
        let payload = body["template"] as? [String: Any]
        #expect(payload?["name"] as? String == "order_update")
        #expect((payload?["language"] as? [String: Any])?["code"] as? String == "pt_BR")
        let components = payload?["components"] as? [[String: Any]]
        let parameters = (components?.first?["parameters"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
        #expect(parameters == ["Maria", "#123"])
    }

    @Test("a 429 with Retry-After and a 500 are retried with backoff, then the message is sent")
    func retryThenSuccess() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        fixture.provider.script(
            channel.phoneNumberId,
            FakeProviderServer.Reply(
                status: 429, headers: ["Retry-After": "1"],
                body: #"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}"#),
            FakeProviderServer.Reply(status: 500, body: #"{"error":{"message":"Service unavailable","code":2}}"#))
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Tudo bem?"),
            as: admin)
        let started = ContinuousClock.now
        try await fixture.sendDue(for: admin)
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 1)
        #expect(
            try await fixture.text(
                "SELECT status AS v FROM messages WHERE id = $1", [UUID(uuidString: message.id)!]) == "pending")
        // Retry-After: 1 holds the next attempt back a second.
        let deadline = ContinuousClock.now + .seconds(15)
        while fixture.provider.received(matching: channel.phoneNumberId).count < 3, ContinuousClock.now < deadline {
            try await fixture.sendDue(for: admin)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 3)
        #expect(
            try await fixture.text(
                "SELECT status || ' ' || external_id AS v FROM messages WHERE id = $1", [UUID(uuidString: message.id)!])?
                .hasPrefix("sent wamid.FAKE") == true)
        #expect(
            try await fixture.count(
                "SELECT attempts AS n FROM outbound_deliveries WHERE message_id = $1", [UUID(uuidString: message.id)!])
                == 3)
    }

    @Test(
        "a permanent failure fails the message with the provider's error, shown in the inbox, and emits message.failed")
    func permanentFailure() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        fixture.provider.script(
            channel.phoneNumberId,
            FakeProviderServer.Reply(
                status: 400,
                body: #"{"error":{"message":"Message undeliverable","type":"OAuthException","code":131026}}"#))
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Alô"), as: admin
        )
        try await fixture.sendDue(for: admin)
        try await fixture.sendDue(for: admin)
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 1)
        let page = try await fixture.call(
            Conversations.Service.listMessages,
            Conversations.ListMessagesRequest(conversationId: conversation.lowercased), as: admin)
        let failed = try #require(page.messages.first { $0.id == message.id })
        #expect(failed.status == "failed")
        #expect(failed.error.contains("131026") && failed.error.contains("Message undeliverable"))
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'message.failed'",
                [conversation]) == 1)
        // The channel itself is fine.
        #expect(
            try await fixture.text("SELECT status AS v FROM channels WHERE id = $1", [UUID(uuidString: channel.id)!])
                == "active")
    }

    @Test(
        "a failure a status callback reports after the send shows in the inbox with its reason, emits message.failed once, and can be retried"
    )
    func failureReportedByCallback() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Oi de novo"),
            as: admin)
        try await fixture.sendDue(for: admin)
        func shown() async throws -> Conversations.InboxMessage {
            let page = try await fixture.call(
                Conversations.Service.listMessages,
                Conversations.ListMessagesRequest(conversationId: conversation.lowercased), as: admin)
            return try #require(page.messages.first { $0.id == message.id })
        }
        let sent = try await shown()
        #expect(sent.status == "sent" && sent.externalId.hasPrefix("wamid.FAKE"))

        // WhatsApp accepted it, then reports that it could not deliver it; Meta may say so twice.
        let failure = Payloads.whatsAppFailed(id: sent.externalId, phoneNumberID: channel.phoneNumberId)
        #expect(try await fixture.deliver(failure, to: channel).statusesApplied == 1)
        #expect(try await fixture.deliver(failure, to: channel).statusesApplied == 0)
        let failed = try await shown()
        #expect(failed.status == "failed")
        #expect(failed.error == "(#131047) Re-engagement message")
        func failedEvents() async throws -> [String] {
            try await fixture.database.query(
                "SELECT payload::text AS v FROM outbox WHERE aggregate_id = $1 AND event_type = 'message.failed'",
                [conversation]
            ).map { try $0.decode(String.self, "v") }
        }
        let events = try await failedEvents()
        #expect(events.count == 1)
        #expect(events.first?.contains("(#131047) Re-engagement message") == true)
        #expect(
            try await fixture.count(
                """
                SELECT count(*) AS n FROM conversation_events
                WHERE conversation_id = $1 AND event_type = 'message.failed' AND payload->>'error' LIKE '(#131047)%'
                """, [conversation]) == 1)

        // The operator sends it again; a late copy of the old failure does not touch the new send.
        let retried = try await fixture.call(
            Conversations.Service.retryMessage,
            Conversations.RetryMessageRequest(conversationId: conversation.lowercased, messageId: message.id), as: admin
        )
        #expect(retried.status == "pending" && retried.error.isEmpty)
        try await fixture.sendDue(for: admin)
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 2)
        #expect(try await fixture.deliver(failure, to: channel).statusesApplied == 0)
        let again = try await shown()
        #expect(again.status == "sent" && again.error.isEmpty)
        #expect(again.externalId.hasPrefix("wamid.FAKE") && again.externalId != sent.externalId)
        #expect(try await failedEvents().count == 1)
    }

    @Test("retryable failures that never stop end as failed after the configured attempts")
    func retriesExhausted() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        let busy = FakeProviderServer.Reply(status: 503, body: #"{"error":{"message":"busy","code":1}}"#)
        fixture.provider.script(channel.phoneNumberId, busy, busy, busy, busy, busy)
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "?"), as: admin)
        let deadline = ContinuousClock.now + .seconds(10)
        while try await fixture.text("SELECT status AS v FROM messages WHERE id = $1", [UUID(uuidString: message.id)!])
            == "pending", ContinuousClock.now < deadline
        {
            try await fixture.sendDue(for: admin)
            try await Task.sleep(for: .milliseconds(30))
        }
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 4)
        #expect(
            try await fixture.text("SELECT status AS v FROM messages WHERE id = $1", [UUID(uuidString: message.id)!])
                == "failed")
    }

    @Test("an expired token puts the channel in error, emits channel.error and refuses further messages clearly")
    func authorizationFailure() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        fixture.provider.script(
            channel.phoneNumberId,
            FakeProviderServer.Reply(
                status: 401,
                body:
                    #"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190}}"#
            ))
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Oi"), as: admin)
        try await fixture.sendDue(for: admin)
        let channelID = UUID(uuidString: channel.id)!
        #expect(try await fixture.text("SELECT status AS v FROM channels WHERE id = $1", [channelID]) == "error")
        #expect(
            try await fixture.text("SELECT error_message AS v FROM channels WHERE id = $1", [channelID])?.contains(
                "Session has expired") == true)
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'channel.error'", [channelID]
            )
                == 1)
        let refused = await fixture.error {
            try await fixture.call(
                Conversations.Service.sendOperatorMessage,
                Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "De novo"),
                as: admin)
        }
        #expect(refused?.code == .failedPrecondition && refused?.message.contains("channel is in error") == true)
    }

    @Test("Telegram sends to the chat id as a number, one message per chat per interval, in order")
    func telegramRateLimitedInOrder() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("telegram", for: admin)
        let conversation = try await fixture.conversation(on: channel, contact: "700000\(Int.random(in: 1000...9999))")
        for text in ["um", "dois", "três"] {
            _ = try await fixture.call(
                Conversations.Service.sendOperatorMessage,
                Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: text),
                as: admin)
        }
        let token = "123:tg" + channel.name.split(separator: " ").last!
        let deadline = ContinuousClock.now + .seconds(10)
        while fixture.provider.received(matching: token).count < 3, ContinuousClock.now < deadline {
            try await fixture.sendDue(for: admin)
            try await Task.sleep(for: .milliseconds(50))
        }
        let received = fixture.provider.received(matching: token)
        #expect(received.map(\.path).allSatisfy { $0 == "/bot\(token)/sendMessage" })
        #expect(received.compactMap(\.text) == ["um", "dois", "três"])
        #expect(received.first?.json["chat_id"] is Int)
        // One message per chat per interval (1.5 s in these tests; the requests themselves
        // may take a while, so allow for the call that held the token).
        for (earlier, later) in zip(received, received.dropFirst()) {
            #expect(later.at - earlier.at >= .milliseconds(1000), "\(later.at - earlier.at)")
        }
    }

    @Test("Instagram sends to the IGSID through the account's messages endpoint")
    func instagramSend() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("instagram", for: admin)
        let conversation = try await fixture.conversation(on: channel, contact: "17841400000000001")
        _ = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Olá!"),
            as: admin)
        try await fixture.sendDue(for: admin)
        let received = fixture.provider.received(matching: channel.instagramAccountId)
        try #require(received.count == 1)
        #expect(received[0].path == "/v21.0/\(channel.instagramAccountId)/messages")
        #expect((received[0].json["recipient"] as? [String: Any])?["id"] as? String == "17841400000000001")
        #expect(received[0].text == "Olá!")
        #expect(
            try await fixture.text(
                "SELECT external_id AS v FROM messages WHERE conversation_id = $1 AND direction = 'outbound'",
                [conversation])?.hasPrefix("mid.FAKE") == true)
    }

    @Test("a send whose answer never comes is marked unknown, not sent again, and an operator's retry sends it")
    func unknownOutcome() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        fixture.provider.script(
            channel.phoneNumberId, FakeProviderServer.Reply(status: 200, body: "{}", delay: .seconds(4)))
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Eco?"),
            as: admin)
        try await fixture.sendDue(for: admin)
        let id = UUID(uuidString: message.id)!
        #expect(try await fixture.text("SELECT status AS v FROM messages WHERE id = $1", [id]) == "unknown")
        try await fixture.sendDue(for: admin)
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 1)

        let retried = try await fixture.call(
            Conversations.Service.retryMessage,
            Conversations.RetryMessageRequest(conversationId: conversation.lowercased, messageId: message.id), as: admin
        )
        #expect(retried.status == "pending")
        try await fixture.sendDue(for: admin)
        #expect(fixture.provider.received(matching: channel.phoneNumberId).count == 2)
        #expect(try await fixture.text("SELECT status AS v FROM messages WHERE id = $1", [id]) == "sent")
    }

    @Test("a send intent left without outcome (the process died mid-call) becomes unknown after the lease, unsent")
    func interruptedSendIsReconciled() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("whatsapp", for: admin)
        let conversation = try await fixture.conversation(on: channel)
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Olá"), as: admin
        )
        let id = UUID(uuidString: message.id)!
        // As a process killed between recording the intent and hearing back would leave it.
        try await fixture.database.execute(
            """
            UPDATE outbound_deliveries SET status = 'sending', attempts = 1,
                   sending_started_at = CURRENT_TIMESTAMP - interval '5 seconds'
            WHERE message_id = $1
            """, [id])
        await fixture.sender.expireUnknown(organizationID: UUID(uuidString: admin.organizationId)!)
        try await fixture.sendDue(for: admin)
        #expect(fixture.provider.received(matching: channel.phoneNumberId).isEmpty)
        #expect(try await fixture.text("SELECT status AS v FROM messages WHERE id = $1", [id]) == "unknown")
        #expect(
            try await fixture.text("SELECT external_metadata->>'error' AS v FROM messages WHERE id = $1", [id])?
                .contains("outcome unknown") == true)
    }

    @Test("web chat replies are pushed at once as a message.sent event the widget's stream reads")
    func webchatPush() async throws {
        let fixture = try await InboxFixture.shared()
        let admin = InboxFixture.newAdmin()
        let channel = try await fixture.channel("webchat", for: admin)
        let conversation = try await fixture.conversation(on: channel, contact: "visitor-\(UUID().uuidString)")
        let message = try await fixture.call(
            Conversations.Service.sendOperatorMessage,
            Conversations.SendOperatorMessageRequest(conversationId: conversation.lowercased, content: "Bem-vindo!"),
            as: admin)
        #expect(message.status == "sent")
        let payload = try #require(
            try await fixture.text(
                "SELECT payload::text AS v FROM conversation_events WHERE conversation_id = $1 AND event_type = 'message.sent'",
                [conversation]))
        #expect(payload.contains("Bem-vindo!") && payload.contains(message.id))
        #expect(
            try await fixture.count(
                "SELECT count(*) AS n FROM outbound_deliveries WHERE conversation_id = $1", [conversation]) == 0)
    }
}
