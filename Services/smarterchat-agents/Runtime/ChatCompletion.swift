import Foundation

/// One Chat Completions answer, as much of it as the runtime uses.
struct ChatCompletion: Sendable {
    struct ToolCall: Sendable, Equatable {
        var id: String
        var name: String
        /// The JSON text the model wrote (may be malformed when the provider is not strict).
        var arguments: String
    }

    var content: String?
    var toolCalls: [ToolCall]
    var finishReason: String
    var model: String
    var promptTokens: Int
    var completionTokens: Int

    /// Parses a response body; nil when it is not a Chat Completions object with a choice.
    init?(body: JSONValue) {
        guard let choices = body["choices"]?.arrayValue, let first = choices.first,
            let message = first["message"]
        else { return nil }
        content = message["content"]?.stringValue
        var calls: [ToolCall] = []
        for call in message["tool_calls"]?.arrayValue ?? [] {
            guard let id = call["id"]?.stringValue, let function = call["function"],
                let name = function["name"]?.stringValue
            else { return nil }
            calls.append(ToolCall(id: id, name: name, arguments: function["arguments"]?.stringValue ?? "{}"))
        }
        toolCalls = calls
        finishReason = first["finish_reason"]?.stringValue ?? ""
        model = body["model"]?.stringValue ?? ""
        promptTokens = Int(body["usage"]?["prompt_tokens"]?.numberValue ?? 0)
        completionTokens = Int(body["usage"]?["completion_tokens"]?.numberValue ?? 0)
    }

    /// The assistant message to put back in the conversation before the tools' results.
    var assistantMessage: JSONValue {
        var message: [String: JSONValue] = ["role": "assistant", "content": content.map(JSONValue.string) ?? .null]
        if !toolCalls.isEmpty {
            message["tool_calls"] = .array(
                toolCalls.map { call in
                    [
                        "id": .string(call.id), "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                    ]
                })
        }
        return .object(message)
    }
}
