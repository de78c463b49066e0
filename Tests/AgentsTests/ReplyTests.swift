import Contracts
import Foundation
import Prometheus
import RPC
import Synchronization
import TestSupport
import Testing

@testable import AgentsService

@Suite("Replies through the provider")
struct ReplyTests {
    @Test(
        "the lead for the prompt is read from crm for every reply of an agent that answers, never for one that does not"
    )
    func leadReadOnlyWhenAnswering() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "lead", type: "prompt_modifier", content: "LEAD {{lead.name}}", priority: 1),
            as: admin)
        let lead = fixture.crm.addLead(organizationID: admin.organizationId, name: "Maria Souza")
        provider.script(
            .analysis("Oi!", intent: "greeting", confidence: 0.9), .analysis("Certo.", intent: "ok", confidence: 0.9))
        // The first reply reads the lead once the agent is known to answer; the next one
        // reads it beside the agent (it answered last time), and sees a change made between.
        _ = try await fixture.generate(agent, history: [turn("contact", "Oi")], leadID: lead)
        fixture.crm.leads.withLock { $0[lead]?.name = "Maria Lima" }
        _ = try await fixture.generate(agent, history: [turn("contact", "Tudo bem?")], leadID: lead)
        let systems = provider.received.map { $0.messages.first?["content"] as? String ?? "" }
        #expect(systems.count == 2)
        #expect(
            systems.first?.contains("LEAD Maria Souza") == true && systems.last?.contains("LEAD Maria Lima") == true)
        #expect(fixture.crm.leadReads.withLock { $0[lead] } == 2)

        let quiet = try await fixture.createAgent(as: admin)
        let other = fixture.crm.addLead(organizationID: admin.organizationId)
        for _ in 0..<3 {
            let reply = try await fixture.generate(quiet, history: [turn("contact", "Oi")], leadID: other)
            #expect(reply.outcome == .noReply)
        }
        #expect(fixture.crm.leadReads.withLock { $0[other] } == nil)
    }

    @Test("plain text from the model is the reply itself")
    func plainContent() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(.content("Bom dia! Em que posso ajudar?"))
        let reply = try await fixture.generate(agent, history: [turn("contact", "Bom dia")])
        #expect(reply.outcome == .replied)
        #expect(reply.content == "Bom dia! Em que posso ajudar?")
        #expect(reply.intent == "")
    }

    @Test(
        "the prompt is system, personality, tone, objective, context, modifiers by priority, then history oldest first")
    func promptOrder() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider) {
            $0.contextDataJson = #"{"store":"Acme Centro"}"#
        }
        for (name, priority, text) in [
            ("low", Int32(1), "LOW {{contact.name}} via {{channel}}"),
            ("high", Int32(10), "HIGH lead {{lead.name}} score {{lead.score}} <b>"),
        ] {
            _ = try await fixture.call(
                Agents.Service.createScript,
                Agents.CreateScriptRequest(
                    agentId: agent.id, name: name, type: "prompt_modifier", content: text, priority: priority),
                as: admin)
        }
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "off", type: "prompt_modifier", content: "DISABLED", priority: 99,
                enabled: false), as: admin)
        let lead = fixture.crm.addLead(organizationID: admin.organizationId, name: "Maria Souza")
        _ = try await fixture.generate(
            agent, history: [turn("contact", "third"), turn("ai", "second"), turn("contact", "first")], leadID: lead)
        let messages = try #require(provider.received.first).messages
        let system = messages[0]["content"] as? String ?? ""
        #expect(messages[0]["role"] as? String == "system")
        let order = [
            "Você é Ana", "Personality: Simpática", "Tone: friendly", "Objective: Qualificar", "Acme Centro",
            "HIGH lead Maria Souza score 10 <b>", "LOW Maria via whatsapp", "Reply format",
        ]
        let positions = order.map { system.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(system)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(!system.contains("DISABLED"))
        #expect(messages.dropFirst().map { $0["content"] as? String } == ["first", "second", "third"])
        #expect(messages.dropFirst().map { $0["role"] as? String } == ["user", "assistant", "user"])
    }

    @Test("history is chosen newest first within the budget of the model's context and max_tokens")
    func historyBudget() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        // gpt-4: 8192 tokens; max_tokens 6000 leaves about 2100 for system, tools and history.
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider) {
            $0.model = "gpt-4"
            $0.maxTokens = 6000
        }
        // 40 turns of ~100 tokens each (400 bytes): far more than fits.
        let history = (0..<40).map { index in
            turn(index % 2 == 0 ? "contact" : "ai", "m\(index) " + String(repeating: "x", count: 400))
        }
        _ = try await fixture.generate(agent, history: history)
        let messages = try #require(provider.received.first).messages
        let sent = messages.dropFirst().compactMap { $0["content"] as? String }
        #expect(sent.count > 3 && sent.count < 40)
        // The newest ones, in chronological order.
        let expected = (0..<sent.count).reversed().map { "m\($0) " }
        #expect(zip(sent, expected).allSatisfy { $0.hasPrefix($1) })
        let text = messages.map { ($0["content"] as? String) ?? "" }.joined()
        let tools = (try? JSONSerialization.data(withJSONObject: provider.received[0].body["tools"] ?? [])) ?? Data()
        let estimate = (text.utf8.count + tools.count) / 4 + messages.count * 4
        #expect(estimate <= 8192 - 6000)
    }

    @Test("tools run over several rounds: lead fields and qualification reach crm, results go back to the model")
    func toolRounds() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider) {
            $0.leadQualificationRulesJson = #"""
                {"ranges": [{"min": 70, "temperature": "hot"}, {"min": 40, "max": 69, "temperature": "warm"},
                            {"min": 0, "max": 39, "temperature": "cold"}],
                 "signals": [{"keywords": ["orçamento aprovado"], "points": 25}]}
                """#
        }
        let lead = fixture.crm.addLead(organizationID: admin.organizationId)
        provider.script(
            .tools([
                .init(name: "capture_lead_fields", arguments: #"{"email":"maria@acme.com.br","company":"Acme"}"#)
            ]),
            .tools([.init(name: "qualify_lead", arguments: #"{"temperature":"cold","score":50,"reason":"budget"}"#)]),
            .analysis("Perfeito, Maria! Já anotei.", intent: "purchase", confidence: 0.8))
        let reply = try await fixture.generate(
            agent, history: [turn("contact", "Sou da Acme, maria@acme.com.br, orçamento aprovado")], leadID: lead)
        #expect(reply.outcome == .replied)
        #expect(reply.content == "Perfeito, Maria! Já anotei.")
        #expect(reply.promptTokens == 40 + 40 + 50)
        #expect(provider.received.count == 3)
        let stored = try #require(fixture.crm.lead(lead))
        #expect(stored.email == "maria@acme.com.br")
        #expect(stored.company == "Acme")
        // 50 + 25 (signal) = 75 → hot by the ranges, whatever the model said.
        #expect(stored.score == 75)
        #expect(stored.temperature == "hot")
        #expect(fixture.crm.calls.withLock { $0 }.contains { $0.hasPrefix("capture \(lead) actor=agent:\(agent.id)") })
        // The second request holds the assistant's tool call and the tool's result.
        let second = provider.received[1].messages
        let toolMessage = try #require(second.last)
        #expect(toolMessage["role"] as? String == "tool")
        #expect((toolMessage["content"] as? String)?.contains(#""ok":true"#) == true)
        #expect(second[second.count - 2]["tool_calls"] != nil)
        let metadata = try #require(JSONValue(text: reply.metadataJson))
        #expect(metadata["tool_calls"]?.arrayValue?.count == 2)
    }

    @Test("request_human and close_conversation become the response's decisions")
    func handoffAndCloseTools() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(
            .tools([
                .init(name: "request_human", arguments: #"{"reason":"wants a discount"}"#),
                .init(name: "close_conversation", arguments: #"{"reason":"done"}"#),
            ]),
            .analysis("Vou chamar um colega."))
        let reply = try await fixture.generate(agent, history: [turn("contact", "Quero desconto")])
        #expect(reply.outcome == .replied)
        #expect(reply.handoff)
        #expect(reply.handoffReason.contains("wants a discount"))
        #expect(reply.closeConversation)
    }

    @Test("a 429 with retry-after is retried after the wait, then succeeds")
    func rateLimited() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(
            .error(429, code: "rate_limit_exceeded", headers: ["retry-after": "1"]),
            .error(429, code: "rate_limit_exceeded", headers: ["retry-after-ms": "150"]),
            .analysis("Enfim!"))
        let started = ContinuousClock.now
        let reply = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        let elapsed = started.duration(to: .now)
        #expect(reply.outcome == .replied)
        #expect(reply.content == "Enfim!")
        #expect(provider.received.count == 3)
        #expect(elapsed >= .milliseconds(1150))
    }

    @Test("each try to the provider is counted by outcome and timed; the billed tokens are summed")
    func providerMetrics() async throws {
        // A fixture of its own: its own registry, so other tests' calls do not count here.
        let fixture = try await AgentsFixture.shared().with()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(
            .error(429, code: "rate_limit_exceeded", headers: ["retry-after-ms": "10"]),
            .error(502, code: "bad_gateway"),
            .content(#"{"reply":"Oi!"}"#, promptTokens: 321, completionTokens: 12))
        let reply = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .replied)
        let text = fixture.registry.emitToString()
        for line in [
            #"smarterchat_ai_provider_requests_total{outcome="rate_limited"} 1"#,
            #"smarterchat_ai_provider_requests_total{outcome="unavailable"} 1"#,
            #"smarterchat_ai_provider_requests_total{outcome="ok"} 1"#,
            "smarterchat_ai_provider_request_duration_seconds_count 3",
            #"smarterchat_ai_tokens_total{kind="prompt"} 321"#,
            #"smarterchat_ai_tokens_total{kind="completion"} 12"#,
        ] {
            #expect(text.contains(line), "\(line) missing")
        }
        // The key never reaches the figures.
        #expect(!text.contains(AgentsFixture.secretKey))
    }

    @Test("insufficient_quota is not retried: FAILED with a handoff")
    func quota() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(.error(429, code: "insufficient_quota"))
        let reply = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .failed)
        #expect(reply.handoff)
        #expect(reply.detail.contains("quota_exceeded"))
        #expect(provider.received.count == 1)
    }

    @Test("a 500 then a success is one reply")
    func transient() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(.error(502, code: "bad_gateway"), .analysis("Oi de novo"))
        let reply = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .replied && reply.content == "Oi de novo")
    }

    @Test("a provider that does not answer in time is retried, then FAILED")
    func timeout() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        var configuration = AgentsFixture.configuration
        configuration.provider.timeout = .milliseconds(300)
        configuration.provider.maxAttempts = 2
        let quick = fixture.with(configuration: configuration)
        let agent = try await quick.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(.delayed(.seconds(10), .analysis("late")), .delayed(.seconds(10), .analysis("late")))
        let started = ContinuousClock.now
        let reply = try await quick.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .failed)
        #expect(reply.detail.contains("timeout"))
        // Well before the provider would have answered.
        #expect(started.duration(to: .now) < .seconds(8))
    }

    @Test("a 200 whose body is not JSON is FAILED without retrying")
    func malformed() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        provider.script(.raw(#"{"choices": [ {"message": "#))
        let reply = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .failed)
        #expect(reply.detail.contains("malformed_response"))
        #expect(provider.received.count == 1)
    }

    @Test("the key is sent only as the bearer token, never in logs, responses or events")
    func keyNeverLeaks() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        provider.script(.error(401, code: "invalid_api_key"))
        let failed = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        provider.script(.analysis("ok"))
        let replied = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(failed.outcome == .failed && failed.detail.contains("HTTP 401 (invalid_api_key)"))
        #expect(replied.outcome == .replied)
        #expect(provider.received.allSatisfy { $0.authorization == "Bearer \(AgentsFixture.secretKey)" })
        #expect(provider.received.allSatisfy { !$0.text.contains("SUPERSECRET") })
        let preview = try await fixture.call(
            Agents.Service.previewReply, Agents.PreviewReplyRequest(agentId: agent.id, message: "Oi"), as: admin)
        for text in [
            String(describing: failed), String(describing: replied), String(describing: preview), fixture.logs.text,
        ] + (try await fixture.events(agentID: agent.id)) {
            #expect(!text.contains("SUPERSECRET"))
            #expect(!text.contains("sk-te***"))
        }
    }

    @Test("per-organization concurrency: no more requests in flight than the limit")
    func concurrency() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        var configuration = AgentsFixture.configuration
        configuration.concurrencyPerOrganization = 2
        let limited = fixture.with(configuration: configuration)
        let agent = try await limited.liveAgent(as: AgentsFixture.principal(), provider: provider)
        for _ in 0..<6 { provider.script(.delayed(.milliseconds(300), .analysis("ok"))) }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let reply = try await limited.generate(agent, history: [turn("contact", "Oi")])
                    #expect(reply.outcome == .replied)
                }
            }
            try await group.waitForAll()
        }
        // 6 requests of 300 ms, two at a time: at least three waves.
        #expect(started.duration(to: .now) >= .milliseconds(880))
    }
}

extension ReplyTests {
    /// The two tests that flush the shared fixture's metrics recorder: one checks what waits
    /// in it before a flush, so they must not flush each other's replies (that failed once
    /// in about twenty runs when they overlapped).
    @Suite("Replies counted in the agent's metrics", .serialized)
    struct Metrics {
        @Test("a structured reply carries content, intent, confidence, entities, model, tokens and time")
        func structured() async throws {
            let fixture = try await AgentsFixture.shared()
            let provider = try await FakeProvider.start()
            defer { provider.stop() }
            let admin = AgentsFixture.principal()
            let agent = try await fixture.liveAgent(as: admin, provider: provider) { $0.model = "gpt-4o-mini" }
            provider.script(
                .analysis(
                    "Olá Maria! Como posso ajudar?", intent: "greeting", confidence: 0.93,
                    entities: [["type": "name", "value": "Maria"]]))
            let reply = try await fixture.generate(agent, history: [turn("contact", "Oi, sou a Maria")])
            #expect(reply.outcome == .replied)
            #expect(reply.content == "Olá Maria! Como posso ajudar?")
            #expect(reply.intent == "greeting")
            #expect(reply.confidence == 0.93)
            #expect(reply.entitiesJson == #"{"name":"Maria"}"#)
            #expect(reply.model == "fake-model-1")
            #expect(reply.promptTokens == 50 && reply.completionTokens == 10)
            #expect(reply.processingTimeMs >= 0)
            #expect(!reply.offline && !reply.handoff)
            let request = try #require(provider.received.first)
            #expect(request.path == "/v1/chat/completions")
            #expect(request.body["model"] as? String == "gpt-4o-mini")
            #expect(request.body["max_tokens"] as? Int == 1000)
            #expect(request.body["temperature"] as? Double == 0.7)
            #expect((request.body["tools"] as? [Any])?.count == 4)
            // Metrics: one conversation, a response time — written by the recorder, not before.
            let key = AgentMetricsRecorder.Key(
                agentID: try #require(UUID(uuidString: agent.id)),
                organizationID: try #require(UUID(uuidString: admin.organizationId)))
            #expect(
                fixture.metrics.waiting[key]
                    == AgentMetricsRecorder.Pending(
                        replies: 1, totalMilliseconds: Int(reply.processingTimeMs), conversations: 1))
            await fixture.metrics.flush()
            #expect(fixture.metrics.waiting[key] == nil)
            let read = try await fixture.call(
                Agents.Service.getAgent, Agents.GetAgentRequest(agentId: agent.id), as: admin)
            #expect(read.totalConversations == 1)
            #expect(read.avgResponseTimeMs >= 0)
            _ = try await fixture.generate(agent, history: [turn("contact", "E aí?")], aiTurns: 1)
            await fixture.metrics.flush()
            let after = try await fixture.call(
                Agents.Service.getAgent, Agents.GetAgentRequest(agentId: agent.id), as: admin)
            #expect(after.totalConversations == 1)
        }

        @Test("500s until the attempts run out: FAILED, handed to a human with the reason, nothing counted")
        func providerDown() async throws {
            let fixture = try await AgentsFixture.shared()
            let provider = try await FakeProvider.start()
            defer { provider.stop() }
            let admin = AgentsFixture.principal()
            let agent = try await fixture.liveAgent(as: admin, provider: provider)
            provider.script(
                .error(500, code: "server_error"), .error(503, code: "overloaded"), .error(500, code: "server_error"))
            let reply = try await fixture.generate(agent, history: [turn("contact", "Oi")])
            #expect(reply.outcome == .failed)
            #expect(reply.content == "")
            #expect(reply.handoff)
            #expect(reply.handoffReason.contains("HTTP 500"))
            #expect(reply.handoffReason.contains("after 3 attempts"))
            #expect(provider.received.count == 3)
            // The provider's message (which echoes part of the key) is never passed on.
            #expect(!reply.handoffReason.contains("Incorrect API key"))
            let key = AgentMetricsRecorder.Key(
                agentID: try #require(UUID(uuidString: agent.id)),
                organizationID: try #require(UUID(uuidString: admin.organizationId)))
            #expect(fixture.metrics.waiting[key] == nil)
            await fixture.metrics.flush()
            let read = try await fixture.call(
                Agents.Service.getAgent, Agents.GetAgentRequest(agentId: agent.id), as: admin)
            #expect(read.totalConversations == 0)
        }
    }
}
