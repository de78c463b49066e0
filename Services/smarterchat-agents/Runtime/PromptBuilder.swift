import Contracts
import Foundation

/// What a prompt is built for: the contact, the lead, the channel and the local time.
struct PromptContext: Sendable {
    var contactName: String
    var channel: String
    var lead: CRM.Lead?
    var timeZone: TimeZone
    var now: Date

    /// The variables a `prompt_modifier` template sees (docs/scripts.md).
    var variables: [String: Any] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: now)
        let date = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        let weekdays = [
            "domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado",
        ]
        let hour = parts.hour ?? 12
        var leadVariables: [String: Any] = [:]
        if let lead {
            leadVariables = [
                "name": lead.name, "email": lead.email, "phone": lead.phone, "company": lead.company,
                "position": lead.position, "interest": lead.interest, "status": lead.status,
                "temperature": lead.temperature, "score": String(lead.score),
            ]
        }
        return [
            "contact": ["name": contactName],
            "lead": leadVariables,
            "channel": channel,
            "date": date, "time": time, "datetime": "\(date) \(time)",
            "weekday": weekdays[((parts.weekday ?? 1) - 1) % 7],
            "greeting": hour < 12 ? "Bom dia" : hour < 18 ? "Boa tarde" : "Boa noite",
            "time_zone": timeZone.identifier,
        ]
    }
}

/// The messages sent to the provider and how the history was cut.
struct BuiltPrompt: Sendable {
    var messages: [JSONValue]
    var systemPrompt: String
    var historyIncluded: Int
    var historyDropped: Int
    var historyBudget: Int
}

/// Assembles the prompt (docs/agents.md, "Prompt"): the system message, personality, tone,
/// objective, languages, context data, the enabled prompt modifiers by priority, the reply
/// format; then the history, chosen newest first within the token budget and sent oldest first.
enum PromptBuilder {
    static let replyFormat = """
        Reply format: answer with one JSON object and nothing else: \
        {"reply": "<the message to send to the contact>", "intent": "<short snake_case label of what the \
        contact wants, empty when unclear>", "confidence": <0 to 1, how sure you are that the reply is right>, \
        "sentiment": "positive|neutral|negative", "entities": [{"type": "<e.g. email, product, date>", \
        "value": "<as written>"}]}. Use the tools to record the lead's data, to qualify the lead, to ask for a \
        human or to close the conversation.
        """

    static func systemPrompt(settings: AgentSettings, scripts: ScriptSet, context: PromptContext) -> String {
        var sections = [settings.systemMessage.trimmingCharacters(in: .whitespacesAndNewlines)]
        sections.append("Personality: \(settings.personality)")
        sections.append("Tone: \(settings.tone)")
        sections.append("Objective: \(settings.objective)")
        let others = settings.languages.filter { $0 != settings.defaultLanguage }
        sections.append(
            "Language: answer in \(settings.defaultLanguage)"
                + (others.isEmpty ? "." : ", or in \(others.joined(separator: ", ")) when the contact writes in it."))
        if let context = settings.contextData.objectValue, !context.isEmpty {
            sections.append("Context data (JSON): \(settings.contextData.text)")
        }
        let variables = context.variables
        for (_, modifier) in scripts.modifiers {
            let text = modifier.render(variables)
            if !text.isEmpty { sections.append(text) }
        }
        sections.append(replyFormat)
        return sections.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// `history` is newest first, as conversations sends it.
    static func build(
        settings: AgentSettings, scripts: ScriptSet, context: PromptContext, history: [Agents.ConversationTurn],
        toolsTokens: Int, contextWindow: Int, historyCap: Int
    ) -> BuiltPrompt {
        let system = systemPrompt(settings: settings, scripts: scripts, context: context)
        let budget = TokenBudget.historyBudget(
            contextWindow: contextWindow, maxTokens: settings.maxTokens,
            fixed: TokenBudget.estimate(message: system) + toolsTokens, historyCap: historyCap)
        var chosen: [JSONValue] = [], used = 0
        for (index, turn) in history.enumerated() {
            let content = text(of: turn)
            if content.isEmpty { continue }
            let cost = TokenBudget.estimate(message: content)
            if used + cost > budget {
                if index == 0 {
                    // The newest message is what the reply answers: keep its start.
                    let room = max(0, (budget - 4) * 4)
                    chosen.append(message(turn, String(decoding: content.utf8.prefix(room), as: UTF8.self)))
                }
                break
            }
            used += cost
            chosen.append(message(turn, content))
        }
        let dropped = history.count - chosen.count
        return BuiltPrompt(
            messages: [["role": "system", "content": .string(system)]] + chosen.reversed(), systemPrompt: system,
            historyIncluded: chosen.count, historyDropped: dropped, historyBudget: budget)
    }

    private static func text(of turn: Agents.ConversationTurn) -> String {
        let content = turn.content.trimmingCharacters(in: .whitespacesAndNewlines)
        if turn.messageType.isEmpty || turn.messageType == "text" { return content }
        return content.isEmpty ? "[\(turn.messageType)]" : "[\(turn.messageType)] \(content)"
    }

    private static func message(_ turn: Agents.ConversationTurn, _ content: String) -> JSONValue {
        // Operators speak for the business, as the agent does.
        ["role": turn.senderType == "contact" ? "user" : "assistant", "content": .string(content)]
    }
}
