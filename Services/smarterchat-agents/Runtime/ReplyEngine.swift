import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import RPC

/// The AI runtime (DESIGN §5 step 4): pre-checks (handoff keywords, AI turns, intent handler
/// keywords), the offline responder when the agent has no key, else the prompt, the provider
/// rounds with tools, the post-checks (intents, sentiment, confidence, business hours, intent
/// handlers by the model's intent), then the response filters on every reply.
struct ReplyEngine: Sendable {
    static let offlineFallback =
        "Olá! Recebemos sua mensagem. No momento não consigo responder automaticamente; um de nossos atendentes vai falar com você em breve."

    let configuration: AgentsConfiguration
    let provider: ProviderClient
    /// crm (service calls: GetLead, CaptureLeadFields, QualifyLead).
    let crm: any RPCCaller
    let keyRing: KeyRing?
    let logger: Logger

    struct Request: Sendable {
        var agent: AgentRecord
        var scripts: [ScriptRecord]
        var conversationID: String
        var leadID: String
        var channel: String
        var contactName: String
        /// Newest first.
        var history: [Agents.ConversationTurn]
        var aiTurns: Int
        var timeZone: TimeZone
        var now: Date
        /// Preview: tools and lead actions are recorded, not applied.
        var dryRun: Bool
        var deadline: ContinuousClock.Instant?
        var requestID: String
        /// The lead for the prompt, when the caller read it already (beside the agent).
        var lead: LeadForPrompt = .fetchWhenNeeded
    }

    enum LeadForPrompt: Sendable {
        /// Read from crm if the reply needs the provider.
        case fetchWhenNeeded
        /// Read already (nil: none, or crm did not answer).
        case fetched(CRM.Lead?)
    }

    func reply(_ request: Request) async -> ReplyState {
        var state = ReplyState()
        let settings = request.agent.settings
        let scripts = ScriptSet(request.scripts)
        for name in scripts.skipped { state.decide("script_skipped", "script \"\(name)\" no longer parses") }
        let rules = (try? HandoffRules(text: settings.handoffRules.text)) ?? HandoffRules()
        let lastContact = request.history.first { $0.senderType == "contact" }?.content ?? ""

        if let keyword = rules.keyword(in: lastContact) {
            state.handOff("the contact asked for a person (\"\(keyword)\")", rule: "handoff.keywords")
            state.content = rules.message
            return finish(state, scripts)
        }
        if let maxTurns = rules.maxAITurns, request.aiTurns >= maxTurns {
            state.handOff(
                "the AI already answered \(request.aiTurns) times (max_ai_turns \(maxTurns))",
                rule: "handoff.max_ai_turns")
            state.content = rules.message
            return finish(state, scripts)
        }
        var handled: String?
        if let handler = scripts.intentHandlers.first(where: { $0.matches(message: lastContact) }) {
            handled = handler.intent
            state.intent = handler.intent
            state.confidence = 1
            await apply(handler, matchedBy: "keywords", request, &state)
            if let reply = handler.reply {
                state.content = reply
                state.offline = request.agent.sealedProviderKey == nil
                return finish(state, scripts, rules: rules, request: request)
            }
        }
        guard let sealed = request.agent.sealedProviderKey else {
            state.offline = true
            if state.content.isEmpty { state.content = Self.offlineFallback }
            state.handOff("offline: the agent has no provider key", rule: "offline")
            return finish(state, scripts)
        }
        let key: String
        do {
            guard let keyRing else {
                throw CryptographyError(.unknownKeyID, "no encryption keys configured")
            }
            key = try keyRing.openText(sealed, associatedData: ProviderKey.associatedData(request.agent.id))
        } catch {
            logger.warning(
                "provider key cannot be opened",
                metadata: ["agent.id": "\(request.agent.id)", "error": "\(error)"])
            state.failed = true
            state.detail = "the provider key cannot be opened with the service's encryption keys"
            state.handOff("AI unavailable: \(state.detail)", rule: "failure")
            return finish(state, scripts)
        }
        await converse(request, key: key, scripts: scripts, rules: rules, state: &state)
        if state.failed { return finish(state, scripts) }

        if !state.intent.isEmpty, rules.intents.contains(state.intent) {
            state.handOff("intent \"\(state.intent)\" is handed to a person", rule: "handoff.intents")
        }
        if rules.negativeSentiment, state.sentiment == "negative" {
            state.handOff("the contact's sentiment is negative", rule: "handoff.negative_sentiment")
        }
        if let minimum = rules.minConfidence, let confidence = state.confidence, confidence < minimum {
            state.handOff(
                "confidence \(String(format: "%.2f", confidence)) is below \(String(format: "%.2f", minimum))",
                rule: "handoff.min_confidence")
        }
        if handled == nil, !state.intent.isEmpty,
            let handler = scripts.intentHandlers.first(where: { $0.intent == state.intent })
        {
            await apply(handler, matchedBy: "intent", request, &state)
            if let reply = handler.reply { state.content = reply }
        }
        if state.content.isEmpty {
            if state.handoff {
                state.content = rules.message
            } else {
                state.failed = true
                state.detail = "the provider answered with an empty reply"
                state.handOff("AI unavailable: \(state.detail)", rule: "failure")
            }
        }
        return finish(state, scripts, rules: rules, request: request)
    }

    /// Business hours apply to every answered reply; then the filters.
    private func finish(
        _ state: ReplyState, _ scripts: ScriptSet, rules: HandoffRules? = nil, request: Request? = nil
    ) -> ReplyState {
        var state = state
        if let rules, let request, let hours = rules.businessHours,
            !hours.contains(request.now, timeZone: request.timeZone)
        {
            state.handOff("outside business hours", rule: "handoff.business_hours")
        }
        if !state.failed, !state.content.isEmpty {
            let (text, effects) = scripts.filter(state.content)
            state.content = text
            state.filters = effects
        }
        return state
    }

    /// The provider rounds: while the model calls tools (up to `maxToolRounds`), run them and
    /// send their results back.
    private func converse(
        _ request: Request, key: String, scripts: ScriptSet, rules: HandoffRules, state: inout ReplyState
    ) async {
        let settings = request.agent.settings
        let model = settings.model.isEmpty ? configuration.defaultModel : settings.model
        let baseURL = settings.providerBaseURL.isEmpty ? configuration.defaultBaseURL : settings.providerBaseURL
        let openAI = URL(string: baseURL)?.host == "api.openai.com"
        let tools = ToolCatalog.definitions(strict: openAI)
        let lead = await lead(request)
        let prompt = PromptBuilder.build(
            settings: settings, scripts: scripts,
            context: PromptContext(
                contactName: request.contactName, channel: request.channel, lead: lead, timeZone: request.timeZone,
                now: request.now),
            history: request.history, toolsTokens: TokenBudget.estimate(tools.text),
            contextWindow: TokenBudget.contextWindow(model: model, fallback: configuration.defaultContextWindow),
            historyCap: configuration.historyMaxTokens)
        state.prompt = prompt.messages
        state.history = [
            "included": .number(Double(prompt.historyIncluded)), "dropped": .number(Double(prompt.historyDropped)),
            "budget_tokens": .number(Double(prompt.historyBudget)),
        ]
        state.model = model
        var messages = prompt.messages
        let contactText = request.history.filter { $0.senderType == "contact" }.map(\.content).joined(separator: "\n")
        for round in 1...configuration.maxToolRounds {
            var body: [String: JSONValue] = [
                "model": .string(model), "messages": .array(messages), "tools": tools,
                // The last round may not call tools: it must answer.
                "tool_choice": round == configuration.maxToolRounds ? "none" : "auto",
            ]
            body[openAI ? "max_completion_tokens" : "max_tokens"] = .number(Double(settings.maxTokens))
            // Reasoning models (o-series, gpt-5) refuse a temperature other than their default.
            if !Self.isReasoningModel(model) { body["temperature"] = .number(settings.temperature) }
            if openAI { body["response_format"] = ToolCatalog.replySchema }
            let completion: ChatCompletion
            do {
                let result = try await provider.complete(
                    baseURL: baseURL, key: key, body: .object(body), organizationID: request.agent.organizationID,
                    deadline: request.deadline)
                completion = result.completion
                state.providerAttempts += result.attempts
            } catch {
                state.providerAttempts += error.attempts
                state.failed = true
                state.detail = "provider \(error.kind.rawValue): \(error.message)"
                state.handOff("AI unavailable: \(state.detail)", rule: "failure")
                logger.warning(
                    "provider failed",
                    metadata: [
                        "agent.id": "\(request.agent.id)", "provider.error": "\(error.kind.rawValue)",
                        "provider.detail": "\(error.message)", "request.id": "\(request.requestID)",
                    ])
                return
            }
            state.providerRounds = round
            state.promptTokens += completion.promptTokens
            state.completionTokens += completion.completionTokens
            if !completion.model.isEmpty { state.model = completion.model }
            guard !completion.toolCalls.isEmpty, round < configuration.maxToolRounds else {
                let analysis = ReplyAnalysis(content: completion.content ?? "")
                state.content = analysis.reply
                if !analysis.intent.isEmpty { state.intent = analysis.intent }
                if let confidence = analysis.confidence { state.confidence = confidence }
                state.sentiment = analysis.sentiment
                state.entities = analysis.entities
                if !analysis.structured { state.decide("reply_format", "the model answered plain text") }
                return
            }
            messages.append(completion.assistantMessage)
            for call in completion.toolCalls {
                let result = await run(call, request, contactText: contactText, state: &state)
                state.toolCalls.append([
                    "round": .number(Double(round)), "name": .string(call.name),
                    "arguments": JSONValue(text: call.arguments) ?? .string(call.arguments), "result": result,
                ])
                messages.append(["role": "tool", "tool_call_id": .string(call.id), "content": .string(result.text)])
            }
        }
    }
}

extension ReplyEngine {
    /// OpenAI's reasoning families, which take no `temperature`: `o1`, `o3`, `o4-mini`, `gpt-5`...
    static func isReasoningModel(_ model: String) -> Bool {
        let name = model.lowercased()
        if name.hasPrefix("gpt-5") { return true }
        guard name.hasPrefix("o"), let second = name.dropFirst().first else { return false }
        return second.isNumber
    }
}

/// Where a provider key is sealed: bound to its agent so a value copied to another row fails.
enum ProviderKey {
    static func associatedData(_ agentID: UUID) -> String {
        "agents.openai_api_key:\(agentID.lowercasedString)"
    }
}
