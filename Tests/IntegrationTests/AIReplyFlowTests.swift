import Cryptography
import Foundation
import ProviderFakes
import TestSupport
import Testing

/// DESIGN §5 end to end: a Telegram message through the gateway, conversations' reply job,
/// agents' runtime against a fake OpenAI-compatible server, the AI reply sent back through a
/// fake Telegram API; then a keyword handoff.
@Suite("AI replies through the whole platform", .serialized)
struct AIReplyFlowTests {
    @Test("a contact's message gets the agent's reply on Telegram; asking for a person hands off")
    func replyFlow() async throws {
        let telegram = FakeProviderServer()
        try await telegram.start()
        let llm = try await FakeChatCompletionsProvider.start()
        defer { llm.stop() }
        try await RunningPlatform.withHealthy(
            logOf: "conversations",
            environment: [
                "SMARTERCHAT_ENCRYPTION_KEYS": "it:\(Base64.encode(SecureRandom.bytes(count: 32)))",
                "SMARTERCHAT_TELEGRAM_BASE_URL": telegram.baseURL,
                "SMARTERCHAT_AGENTS_ALLOW_PRIVATE_PROVIDER_URLS": "true",
            ]
        ) { try await run($0, telegram: telegram, llm: llm) }
        await telegram.stop()
    }

    func run(_ platform: RunningPlatform, telegram: FakeProviderServer, llm: FakeChatCompletionsProvider) async throws {
        let owner = try IdentityFlowTests.Tokens(
            try await IdentityFlowTests.signUp(platform, slug: "ai-flow", email: "ana@ai-flow.example")
        ).access
        let agentID = try await AgentFlowTests.createAgent(platform, token: owner)
        _ = try await platform.request(
            "PATCH", "/api/v1/agents/\(agentID)", json: ["provider_base_url": llm.baseURL], token: owner)
        let keyed = try await platform.request(
            "PUT", "/api/v1/agents/\(agentID)/provider-key", json: ["provider_key": "sk-flow-key-1234"], token: owner)
        #expect(keyed.status == 200)
        let published = try await platform.request("POST", "/api/v1/agents/\(agentID)/publish", token: owner)
        #expect(published.json["is_published"] as? Bool == true)
        let channel = try await platform.request(
            "POST", "/api/v1/channels",
            json: [
                "type": "telegram", "name": "Bot", "agent_id": agentID,
                "config": ["bot_token": "888:flow", "secret_token": "tg-flow"],
            ], token: owner)
        try #require(channel.status == 201, "\(String(decoding: channel.body, as: UTF8.self))")
        let channelID = try #require(channel.json["id"] as? String)

        llm.script(.analysis("Olá, Ana! Nossos planos começam em R$ 99.", intent: "pricing", confidence: 0.9))
        let first = try await ChannelIngestTests.send(
            platform, "POST", "/webhooks/telegram/\(channelID)", body: Self.update(1, "Oi, quanto custa?"),
            headers: ["X-Telegram-Bot-Api-Secret-Token": "tg-flow", "Content-Type": "application/json"])
        #expect(first.status == 200)
        let replied = await platform.waitUntil(timeout: .seconds(20)) {
            telegram.received(matching: "/bot888:").contains { $0.text == "Olá, Ana! Nossos planos começam em R$ 99." }
        }
        #expect(replied, "no AI reply reached Telegram")
        let prompt = try #require(llm.received.first).messages
        #expect(prompt.last?["content"] as? String == "Oi, quanto custa?")
        #expect(llm.received.first?.authorization == "Bearer sk-flow-key-1234")

        // The AI message is stored with its model and intent.
        let conversations = try await platform.request(
            "GET", "/api/v1/conversations?channel_id=\(channelID)", token: owner)
        let conversation = try #require((conversations.json["conversations"] as? [[String: Any]])?.first)
        let conversationID = try #require(conversation["id"] as? String)
        let messages = try await platform.request(
            "GET", "/api/v1/conversations/\(conversationID)/messages", token: owner)
        let ai = (messages.json["messages"] as? [[String: Any]])?.first { $0["sender_type"] as? String == "ai" }
        #expect(ai?["ai_model"] as? String == "fake-model-1")
        #expect(ai?["intent"] as? String == "pricing")

        // Asking for a person: the handoff message goes out and the conversation leaves AI mode.
        let second = try await ChannelIngestTests.send(
            platform, "POST", "/webhooks/telegram/\(channelID)",
            body: Self.update(2, "Quero falar com um atendente"),
            headers: ["X-Telegram-Bot-Api-Secret-Token": "tg-flow", "Content-Type": "application/json"])
        #expect(second.status == 200)
        let handedOff = await platform.waitUntil(timeout: .seconds(20)) {
            let state = try? await platform.request("GET", "/api/v1/conversations/\(conversationID)", token: owner)
            let body = (state?.json["conversation"] as? [String: Any]) ?? state?.json ?? [:]
            return (body["mode"] as? String).map { $0 != "ai" } ?? false
        }
        #expect(handedOff, "the conversation did not leave AI mode")
        // Sent after the chat's interval between two messages.
        let told = await platform.waitUntil(timeout: .seconds(20)) {
            telegram.received(matching: "/bot888:").contains { $0.text?.hasPrefix("Certo! Vou transferir") == true }
        }
        #expect(told, "the handoff message did not reach Telegram")
        #expect(llm.received.count == 1)

        // The provider's request and the tokens it billed reach /metrics.
        let metrics = String(decoding: try await platform.get("/metrics").1, as: UTF8.self)
        #expect(metrics.contains(#"smarterchat_ai_provider_requests_total{service="agents",outcome="ok"} 1"#))
        #expect(metrics.contains(#"smarterchat_ai_tokens_total{service="agents",kind="prompt"} 50"#))
    }

    static func update(_ id: Int, _ text: String) -> String {
        """
        {"update_id":\(5000 + id),"message":{"message_id":\(id),"date":1700000000,
        "from":{"id":7001,"is_bot":false,"first_name":"Ana"},"chat":{"id":7001,"type":"private","first_name":"Ana"},
        "text":"\(text)"}}
        """
    }
}
