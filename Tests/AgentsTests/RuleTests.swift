import Contracts
import Foundation
import RPC
import Synchronization
import TestSupport
import Testing

@testable import AgentsService

@Suite("Handoff rules, filters, intent handlers and the offline responder")
struct RuleTests {
    @Test("pt-BR keywords hand off without calling the provider")
    func keywords() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider)
        for message in ["Quero falar com um ATENDENTE", "posso falar com uma pessoa?", "Humano, por favor"] {
            let reply = try await fixture.generate(agent, history: [turn("contact", message)])
            #expect(reply.outcome == .replied)
            #expect(reply.handoff, "\(message)")
            #expect(reply.content == HandoffRules.defaultMessage)
        }
        // A word that merely contains a keyword does not count.
        provider.script(.analysis("Claro"))
        let other = try await fixture.generate(agent, history: [turn("contact", "sou humanista")])
        #expect(!other.handoff)
        #expect(provider.received.count == 1)
    }

    @Test("custom keywords and message replace the defaults")
    func customKeywords() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider) {
            $0.handoffRulesJson = #"{"keywords": ["gerente"], "handoff_message": "Chamando o gerente."}"#
        }
        let reply = try await fixture.generate(agent, history: [turn("contact", "cadê o gerente")])
        #expect(reply.handoff && reply.content == "Chamando o gerente.")
        provider.script(.analysis("Oi!"))
        let atendente = try await fixture.generate(agent, history: [turn("contact", "atendente")])
        #expect(!atendente.handoff)
    }

    @Test("max_ai_turns hands off once the AI answered that many times")
    func maxTurns() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider) {
            $0.handoffRulesJson = #"{"max_ai_turns": 3}"#
        }
        let early = try await fixture.generate(agent, history: [turn("contact", "oi")], aiTurns: 2)
        #expect(!early.handoff)
        let late = try await fixture.generate(agent, history: [turn("contact", "oi")], aiTurns: 3)
        #expect(late.handoff && late.handoffReason.contains("max_ai_turns 3"))
    }

    @Test("intents, negative sentiment and low confidence hand off after the reply")
    func modelSignals() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider) {
            $0.handoffRulesJson = #"{"intents": ["complaint"], "negative_sentiment": true, "min_confidence": 0.6}"#
        }
        provider.script(
            .analysis("Sinto muito.", intent: "complaint", confidence: 0.9),
            .analysis("Entendo sua frustração.", intent: "other", confidence: 0.9, sentiment: "negative"),
            .analysis("Talvez?", intent: "question", confidence: 0.3),
            .analysis("Certo!", intent: "question", confidence: 0.95))
        let complaint = try await fixture.generate(agent, history: [turn("contact", "péssimo")])
        #expect(complaint.handoff && complaint.handoffReason.contains("complaint"))
        #expect(complaint.content == "Sinto muito.")
        let negative = try await fixture.generate(agent, history: [turn("contact", "não gostei")])
        #expect(negative.handoff && negative.handoffReason.contains("negative"))
        let unsure = try await fixture.generate(agent, history: [turn("contact", "e aí?")])
        #expect(unsure.handoff && unsure.handoffReason.contains("confidence 0.30"))
        let fine = try await fixture.generate(agent, history: [turn("contact", "ok")])
        #expect(!fine.handoff)
    }

    @Test("outside business hours the reply is sent and the conversation handed off")
    func businessHours() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        // Hours that never include the current local hour, and hours that always do.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/Sao_Paulo")!
        let hour = calendar.component(.hour, from: Date())
        let (closed, closedEnd) = hour < 12 ? ("13:00", "23:00") : ("01:00", "11:00")
        let (open, openEnd) = ("00:00", "24:00")
        let all = #"["sun","mon","tue","wed","thu","fri","sat"]"#
        let closedAgent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider) {
            $0.handoffRulesJson =
                #"{"business_hours": {"days": \#(all), "start": "\#(closed)", "end": "\#(closedEnd)"}}"#
        }
        let openAgent = try await fixture.liveAgent(as: AgentsFixture.principal(), provider: provider) {
            $0.handoffRulesJson = #"{"business_hours": {"days": \#(all), "start": "\#(open)", "end": "\#(openEnd)"}}"#
        }
        let outside = try await fixture.generate(closedAgent, history: [turn("contact", "oi")])
        #expect(outside.outcome == .replied)
        #expect(outside.handoff && outside.handoffReason == "outside business hours")
        let inside = try await fixture.generate(openAgent, history: [turn("contact", "oi")])
        #expect(!inside.handoff)
    }

    @Test("response filters replace, forbid, cap and append on every reply")
    func filters() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "filters", type: "response_filter",
                content: #"""
                    {"rules": [{"type": "replace", "pattern": "R\\$ ?\\d+", "replacement": "[sob consulta]"},
                               {"type": "forbid", "phrases": ["garantia vitalícia"], "fallback": "Não posso prometer isso."},
                               {"type": "max_length", "max": 60},
                               {"type": "append", "text": "— Equipe Acme"}]}
                    """#), as: admin)
        provider.script(
            .analysis("O plano custa R$ 99 por mês."),
            .analysis("Temos GARANTIA vitalícia em tudo!"),
            .analysis(String(repeating: "palavra ", count: 30)))
        let price = try await fixture.generate(agent, history: [turn("contact", "preço?")])
        #expect(price.content == "O plano custa [sob consulta] por mês.\n\n— Equipe Acme")
        let forbidden = try await fixture.generate(agent, history: [turn("contact", "garantia?")])
        #expect(forbidden.content == "Não posso prometer isso.\n\n— Equipe Acme")
        let long = try await fixture.generate(agent, history: [turn("contact", "fale muito")])
        let body = long.content.components(separatedBy: "\n\n").first ?? ""
        #expect(body.count <= 60 && body.hasSuffix("…"))
        // Also the fixed handoff message.
        let handoff = try await fixture.generate(agent, history: [turn("contact", "atendente")])
        #expect(handoff.content.hasSuffix("— Equipe Acme"))
        let metadata = try #require(JSONValue(text: price.metadataJson))
        #expect(metadata["filters"]?.arrayValue?.isEmpty == false)
    }

    @Test("an intent handler answers by keyword with a fixed reply and acts; by the model's intent too")
    func intentHandlers() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "pricing", type: "intent_handler",
                content: #"""
                    {"intent": "pricing", "keywords": ["quanto custa"], "reply": "A partir de R$ 99/mês.",
                     "actions": [{"type": "tag", "tag": "pricing"}, {"type": "set_lead_temperature", "temperature": "warm"},
                                 {"type": "set_lead_status", "status": "contacted"}]}
                    """#), as: admin)
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "cancel", type: "intent_handler",
                content: #"{"intent": "cancel", "actions": [{"type": "handoff", "reason": "cancelamento"}]}"#),
            as: admin)
        let lead = fixture.crm.addLead(organizationID: admin.organizationId)
        let priced = try await fixture.generate(agent, history: [turn("contact", "Quanto custa?")], leadID: lead)
        #expect(priced.content == "A partir de R$ 99/mês.")
        #expect(priced.intent == "pricing")
        #expect(priced.tags == ["pricing"])
        #expect(fixture.crm.lead(lead)?.temperature == "warm")
        #expect(fixture.crm.lead(lead)?.status == "contacted")
        #expect(fixture.crm.calls.withLock { $0 }.contains("status \(lead) contacted actor=agent:\(agent.id)"))
        #expect(provider.received.isEmpty)
        provider.script(.analysis("Que pena! Posso ajudar?", intent: "cancel", confidence: 0.9))
        let cancel = try await fixture.generate(agent, history: [turn("contact", "quero cancelar")], leadID: lead)
        #expect(cancel.handoff && cancel.handoffReason == "cancelamento")
        #expect(cancel.content == "Que pena! Posso ajudar?")
    }

    @Test("with no key the offline responder answers: intent handlers, else the fallback and a handoff")
    func offline() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let created = try await fixture.createAgent(as: admin)
        let agent = try await fixture.call(
            Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: created.id, published: true), as: admin)
        let fallback = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(fallback.outcome == .replied)
        #expect(fallback.offline)
        #expect(fallback.content == ReplyEngine.offlineFallback)
        #expect(fallback.handoff)
        #expect(JSONValue(text: fallback.metadataJson)?["offline"] == .bool(true))
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "hours", type: "intent_handler",
                content: #"{"intent": "hours", "keywords": ["horário"], "reply": "Abrimos das 9h às 18h."}"#), as: admin
        )
        let hours = try await fixture.generate(agent, history: [turn("contact", "Qual o horário de vocês?")])
        #expect(hours.offline && !hours.handoff)
        #expect(hours.content == "Abrimos das 9h às 18h.")
    }

    @Test("an unpublished, inactive or auto-response-off agent gives NO_REPLY with the reason")
    func noReply() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let draft = try await fixture.createAgent(as: admin)
        let unpublished = try await fixture.generate(draft, history: [turn("contact", "Oi")])
        #expect(unpublished.outcome == .noReply && unpublished.detail.contains("not published"))
        _ = try await fixture.call(
            Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: draft.id, published: true), as: admin)
        _ = try await fixture.call(
            Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: draft.id, autoResponseEnabled: false),
            as: admin)
        let off = try await fixture.generate(draft, history: [turn("contact", "Oi")])
        #expect(off.outcome == .noReply && off.detail.contains("auto-response"))
        _ = try await fixture.call(
            Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: draft.id, status: "inactive"), as: admin)
        let inactive = try await fixture.generate(draft, history: [turn("contact", "Oi")])
        #expect(inactive.outcome == .noReply && inactive.detail.contains("inactive"))
    }

    @Test("the preview shows prompt, tool calls and decisions without touching crm")
    func preview() async throws {
        let fixture = try await AgentsFixture.shared()
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        provider.script(
            .tools([.init(name: "capture_lead_fields", arguments: #"{"name":"João"}"#)]),
            .analysis("Prazer, João!", intent: "greeting", confidence: 0.7))
        let preview = try await fixture.call(
            Agents.Service.previewReply,
            Agents.PreviewReplyRequest(agentId: agent.id, message: "Sou o João", contactName: "João"), as: admin)
        #expect(preview.reply?.content == "Prazer, João!")
        #expect(preview.reply?.promptTokens == 90)
        let prompt = try #require(JSONValue(text: preview.promptJson)?.arrayValue)
        #expect(prompt.first?["role"] == "system")
        #expect(prompt.last?["content"] == "Sou o João")
        let tools = try #require(JSONValue(text: preview.toolCallsJson)?.arrayValue)
        #expect(tools.first?["name"] == "capture_lead_fields")
        #expect(tools.first?["result"]?["dry_run"] == .bool(true))
        // crm's fake records every capture with the agent as actor: none for this agent.
        #expect(!fixture.crm.calls.withLock { $0 }.contains { $0.contains(agent.id) })
        let consultant = Principal(organizationId: admin.organizationId, userId: admin.userId, role: "consultant")
        let refused = await fixture.failure {
            try await fixture.call(
                Agents.Service.previewReply, Agents.PreviewReplyRequest(agentId: agent.id, message: "Oi"),
                as: consultant)
        }
        #expect(refused == .permissionDenied)
    }
}

@Suite("Preview limits")
struct PreviewLimitTests {
    @Test("a preview gives the provider a bounded time in all, then answers FAILED")
    func bounded() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        var configuration = AgentsFixture.configuration
        configuration.previewTimeout = .milliseconds(700)
        let fixture = try await AgentsFixture.shared().with(configuration: configuration)
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        provider.script(.delayed(.seconds(10), .analysis("late")), .delayed(.seconds(10), .analysis("late")))
        let started = ContinuousClock.now
        let preview = try await fixture.call(
            Agents.Service.previewReply, Agents.PreviewReplyRequest(agentId: agent.id, message: "Oi"), as: admin)
        #expect(started.duration(to: .now) < .seconds(5))
        #expect(preview.reply?.outcome == .failed)
    }
}
