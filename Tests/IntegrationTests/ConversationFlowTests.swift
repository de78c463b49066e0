import Cryptography
import Foundation
import Logging
import Postgres
import ProviderFakes
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The inbox and outbound delivery through the real gateway and services, with Telegram's
/// API faked by a real HTTP server on 127.0.0.1: operators' REST, tenant isolation and
/// scopes on every inbox route, and the conversations process killed with SIGKILL between
/// the commit of a message and its send (exactly one send after the restart), and during a
/// send (not sent again: `unknown`).
@Suite("Inbox and outbound delivery through the gateway", .serialized)
struct ConversationFlowTests {
    static let keys = "it:\(Base64.encode(SecureRandom.bytes(count: 32)))"

    @Test("operators' REST, isolation, and kill -9 between commit and send: exactly one send")
    func conversationFlow() async throws {
        let telegram = FakeProviderServer()
        try await telegram.start()
        try await RunningPlatform.withHealthy(
            logOf: "conversations",
            environment: [
                "SMARTERCHAT_ENCRYPTION_KEYS": Self.keys, "SMARTERCHAT_TELEGRAM_BASE_URL": telegram.baseURL,
                // A wide window between the commit of the second message and its send.
                "SMARTERCHAT_TELEGRAM_CHAT_INTERVAL_MS": "4000",
                "SMARTERCHAT_DELIVERY_SENDING_LEASE_SECONDS": "2", "SMARTERCHAT_DELIVERY_HTTP_TIMEOUT_MS": "30000",
            ]
        ) { try await run($0, telegram: telegram) }
        await telegram.stop()
    }

    func run(_ platform: RunningPlatform, telegram: FakeProviderServer) async throws {
        let database = PostgresClient(configuration: platform.database, logger: Logger(label: "ConversationFlowTests"))
        defer { Task { await database.close() } }
        @Sendable func text(_ query: PostgresQuery, _ binds: [any PostgresEncodable]) async throws -> String? {
            try await database.query(query, binds).firstRow?.decode(String?.self, "v")
        }
        @Sendable func sent(_ content: String) -> Int {
            telegram.received(matching: "/bot777:").filter { $0.text == content }.count
        }

        let owner = try #require(
            (try await IdentityFlowTests.signUp(platform, slug: "inbox-a", email: "a@inbox.example")
                .json["tokens"] as? [String: Any])?["access_token"] as? String)
        let stranger = try #require(
            (try await IdentityFlowTests.signUp(platform, slug: "inbox-b", email: "b@inbox.example")
                .json["tokens"] as? [String: Any])?["access_token"] as? String)

        // An agent (unpublished for now: it does not answer until the end of the test).
        let agent = try await platform.request(
            "POST", "/api/v1/agents",
            json: [
                "name": "Atendente", "personality": "cordial", "objective": "responder clientes",
                "system_message": "Você é um atendente.",
            ], token: owner)
        try #require(agent.status == 201, "\(String(decoding: agent.body, as: UTF8.self))")
        let agentID = try #require(agent.json["id"] as? String)
        // A Telegram channel and a contact's first message through the callback.
        let created = try await platform.request(
            "POST", "/api/v1/channels",
            json: [
                "type": "telegram", "name": "Bot", "agent_id": agentID,
                "config": ["bot_token": "777:integration", "secret_token": "tg-secret"],
            ], token: owner)
        try #require(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let channelID = try #require(created.json["id"] as? String)
        let update = """
            {"update_id":1001,"message":{"message_id":42,"date":1700000000,
            "from":{"id":9001,"is_bot":false,"first_name":"Ana"},"chat":{"id":9001,"type":"private","first_name":"Ana"},
            "text":"Oi, tudo bem?"}}
            """
        let delivered = try await ChannelIngestTests.send(
            platform, "POST", "/webhooks/telegram/\(channelID)", body: update,
            headers: ["X-Telegram-Bot-Api-Secret-Token": "tg-secret", "Content-Type": "application/json"])
        try #require(delivered.status == 200)

        let listed = try await platform.request("GET", "/api/v1/conversations?channel_id=\(channelID)", token: owner)
        #expect(listed.status == 200)
        let rows = try #require(listed.json["conversations"] as? [[String: Any]])
        try #require(rows.count == 1)
        let conversation = try #require(rows[0]["id"] as? String)
        #expect(
            rows[0]["last_message"] as? String == "Oi, tudo bem?" && rows[0]["channel_type"] as? String == "telegram")
        let base = "/api/v1/conversations/\(conversation)"

        // Another organization sees nothing and reaches nothing: 404 on every route.
        let strangerList = try await platform.request("GET", "/api/v1/conversations", token: stranger)
        #expect(strangerList.status == 200 && (strangerList.json["conversations"] as? [Any])?.isEmpty == true)
        let routes: [(String, String, [String: Any]?)] = [
            ("GET", base, nil), ("PATCH", base, ["priority": "high"]), ("GET", base + "/messages", nil),
            ("POST", base + "/messages", ["content": "x"]), ("GET", base + "/timeline", nil),
            ("POST", base + "/read", [:]), ("POST", base + "/takeover", [:]), ("POST", base + "/handback", [:]),
            ("POST", base + "/transfer", ["user_id": UUID().uuidString.lowercased()]), ("POST", base + "/close", [:]),
            ("POST", base + "/reopen", [:]),
            ("POST", base + "/messages/\(UUID().uuidString.lowercased())/retry", [:]),
        ]
        for (method, path, body) in routes {
            let answer: HTTPExchange
            if let body {
                answer = try await platform.request(method, path, json: body, token: stranger)
            } else {
                answer = try await platform.request(method, path, token: stranger)
            }
            #expect(answer.status == 404, "\(method) \(path)")
            #expect(answer.errorCode != nil, "\(method) \(path)")
        }
        // An API key without the conversations scopes: 403; without a token: 401.
        let key = try await platform.request(
            "POST", "/api/v1/api-keys", json: ["name": "leads only", "scopes": ["leads:read"]], token: owner)
        let leadsKey = try #require(key.json["key"] as? String, "\(String(decoding: key.body, as: UTF8.self))")
        #expect(try await platform.request("GET", "/api/v1/conversations", token: leadsKey).status == 403)
        #expect(try await platform.request("POST", base + "/takeover", json: [:], token: leadsKey).status == 403)
        #expect(try await platform.request("GET", base).status == 401)

        // Lifecycle through REST.
        let took = try await platform.request("POST", base + "/takeover", json: [:], token: owner)
        #expect(took.status == 200 && took.json["mode"] as? String == "human")
        let tagged = try await platform.request(
            "PATCH", base, json: ["priority": "urgent", "tags": ["vip"]], token: owner)
        #expect(tagged.json["priority"] as? String == "urgent" && tagged.json["tags"] as? [String] == ["vip"])

        // Two messages: the first goes out at once, the second waits for the chat's interval.
        let first = try await platform.request("POST", base + "/messages", json: ["content": "primeira"], token: owner)
        #expect(first.status == 201 && first.json["status"] as? String == "pending")
        let firstID = try #require(first.json["id"] as? String)
        let second = try await platform.request("POST", base + "/messages", json: ["content": "segunda"], token: owner)
        let secondID = try #require(second.json["id"] as? String)
        let firstSent = await platform.waitUntil(timeout: .seconds(10)) {
            (try? await text(
                "SELECT status AS v FROM conversations.messages WHERE id = $1", [UUID(uuidString: firstID)!]))
                == "sent"
        }
        try #require(firstSent)
        // Committed, not yet sent: the process dies now.
        #expect(
            try await text(
                "SELECT status AS v FROM conversations.outbound_deliveries WHERE message_id = $1",
                [UUID(uuidString: secondID)!]) == "pending")
        #expect(sent("segunda") == 0)
        await platform.kill("conversations")
        try platform.start("conversations")
        let secondSent = await platform.waitUntil(timeout: .seconds(30)) { sent("segunda") >= 1 }
        #expect(secondSent)
        try await Task.sleep(for: .seconds(3))
        #expect(sent("primeira") == 1 && sent("segunda") == 1)
        let afterRestart = await platform.waitUntil(timeout: .seconds(10)) {
            (try? await text(
                "SELECT status AS v FROM conversations.messages WHERE id = $1", [UUID(uuidString: secondID)!]))
                == "sent"
        }
        #expect(afterRestart)

        // Killed during the provider call: the send is not repeated, the message says unknown.
        telegram.script(
            "/bot777:",
            FakeProviderServer.Reply(status: 200, body: #"{"ok":true,"result":{"message_id":1}}"#, delay: .seconds(20)))
        try await Task.sleep(for: .seconds(4))  // the chat's interval since "segunda"
        let third = try await platform.request("POST", base + "/messages", json: ["content": "terceira"], token: owner)
        let thirdID = try #require(third.json["id"] as? String)
        let arrived = await platform.waitUntil(timeout: .seconds(15)) { sent("terceira") == 1 }
        try #require(arrived)
        await platform.kill("conversations")
        try platform.start("conversations")
        let unknown = await platform.waitUntil(timeout: .seconds(30)) {
            (try? await text(
                "SELECT status AS v FROM conversations.messages WHERE id = $1", [UUID(uuidString: thirdID)!]))
                == "unknown"
        }
        #expect(unknown)
        try await Task.sleep(for: .seconds(3))
        #expect(sent("terceira") == 1)

        // An AI reply end to end: the agent, published (the built-in offline responder, no
        // provider key), linked to a second bot; a contact's message is answered through Telegram.
        let published = try await platform.request("POST", "/api/v1/agents/\(agentID)/publish", json: [:], token: owner)
        #expect(published.status == 200, "\(String(decoding: published.body, as: UTF8.self))")
        let aiChannel = try await platform.request(
            "POST", "/api/v1/channels",
            json: [
                "type": "telegram", "name": "AI bot", "agent_id": agentID,
                "config": ["bot_token": "778:ai", "secret_token": "tg-ai-secret"],
            ], token: owner)
        let aiChannelID = try #require(aiChannel.json["id"] as? String)
        let question = try await ChannelIngestTests.send(
            platform, "POST", "/webhooks/telegram/\(aiChannelID)",
            body: update.replacingOccurrences(of: "1001", with: "2001").replacingOccurrences(of: "9001", with: "9002"),
            headers: ["X-Telegram-Bot-Api-Secret-Token": "tg-ai-secret", "Content-Type": "application/json"])
        #expect(question.status == 200)
        let answered = await platform.waitUntil(timeout: .seconds(30)) {
            !telegram.received(matching: "/bot778:ai/").isEmpty
        }
        #expect(answered, "no AI reply reached Telegram")
        // The external id is recorded once Telegram's answer is back (just after it received).
        let recorded = await platform.waitUntil(timeout: .seconds(10)) {
            let rows = try? await database.query(
                """
                SELECT m.external_id FROM conversations.messages m
                JOIN conversations.conversations c ON c.id = m.conversation_id
                WHERE c.channel_id = $1 AND m.sender_type = 'ai' AND m.external_id IS NOT NULL
                """, [UUID(uuidString: aiChannelID)!])
            return (rows?.count ?? 0) > 0
        }
        #expect(recorded)
        let aiRow = try await database.query(
            """
            SELECT m.status, m.ai_model, m.ai_generated, m.external_id FROM conversations.messages m
            JOIN conversations.conversations c ON c.id = m.conversation_id
            WHERE c.channel_id = $1 AND m.sender_type = 'ai'
            """, [UUID(uuidString: aiChannelID)!])
        #expect(aiRow.count == 1)
        if let row = aiRow.first {
            #expect(try row.decode(Bool.self, "ai_generated") && !(try row.decode(String.self, "ai_model")).isEmpty)
            #expect(try row.decode(String?.self, "external_id") != nil)
        }
        #expect(telegram.received(matching: "/bot778:ai/").count == 1)

        // The inbox shows it, with the reason; the timeline has the story.
        let messages = try await platform.request("GET", base + "/messages?limit=10", token: owner)
        let shown = (messages.json["messages"] as? [[String: Any]])?.first { $0["id"] as? String == thirdID }
        #expect(shown?["status"] as? String == "unknown" && (shown?["error"] as? String)?.isEmpty == false)
        let timeline = try await platform.request("GET", base + "/timeline", token: owner)
        let types = (timeline.json["events"] as? [[String: Any]])?.compactMap { $0["event_type"] as? String } ?? []
        for expected in ["mode_changed", "assigned", "message.queued", "message.sent", "message.delivery_unknown"] {
            #expect(types.contains(expected), "\(expected) in \(types)")
        }
    }
}
