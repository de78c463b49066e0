import Contracts
import Foundation

/// What a reply has become so far: content, decisions, tool calls, handoff, tokens.
struct ReplyState: Sendable {
    var content = ""
    var failed = false
    var detail = ""
    var offline = false
    var handoff = false
    var handoffReason = ""
    var close = false
    var tags: [String] = []
    var intent = ""
    var confidence: Double?
    var sentiment = ""
    var entities: [String: JSONValue] = [:]
    var model = ""
    var promptTokens = 0
    var completionTokens = 0
    var providerAttempts = 0
    var providerRounds = 0
    var decisions: [JSONValue] = []
    var toolCalls: [JSONValue] = []
    var filters: [JSONValue] = []
    var prompt: [JSONValue] = []
    var history: JSONValue = .null

    /// Records a decision for the message's metadata.
    mutating func decide(_ rule: String, _ detail: String) {
        decisions.append(["rule": .string(rule), "detail": .string(detail)])
    }

    /// Hands off (the first reason stands) and records it.
    mutating func handOff(_ reason: String, rule: String) {
        decide(rule, reason)
        guard !handoff else { return }
        handoff = true
        handoffReason = reason
    }

    mutating func tag(_ tag: String) {
        if !tags.contains(tag) { tags.append(tag) }
    }

    /// The response conversations receives.
    func response(milliseconds: Int) -> Agents.GenerateReplyResponse {
        var metadata: [String: JSONValue] = [
            "offline": .bool(offline), "decisions": .array(decisions), "tool_calls": .array(toolCalls),
            "filters": .array(filters),
        ]
        if !sentiment.isEmpty { metadata["sentiment"] = .string(sentiment) }
        if providerRounds > 0 {
            metadata["provider"] = [
                "rounds": .number(Double(providerRounds)), "attempts": .number(Double(providerAttempts)),
            ]
        }
        if history != .null { metadata["history"] = history }
        return Agents.GenerateReplyResponse(
            outcome: failed ? .failed : content.isEmpty ? .noReply : .replied, content: failed ? "" : content,
            model: model, promptTokens: Int32(promptTokens), completionTokens: Int32(completionTokens),
            processingTimeMs: Int32(milliseconds), confidence: confidence ?? 0, intent: intent,
            entitiesJson: JSONValue.object(entities).text, offline: offline, handoff: handoff,
            handoffReason: handoffReason, closeConversation: close, metadataJson: JSONValue.object(metadata).text,
            tags: tags, detail: detail)
    }
}
