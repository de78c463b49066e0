import Foundation

/// The tools offered to the model (docs/agents.md, "Tools"); the runtime executes them.
enum ToolCatalog {
    static let captureLeadFields = "capture_lead_fields"
    static let qualifyLead = "qualify_lead"
    static let requestHuman = "request_human"
    static let closeConversation = "close_conversation"

    /// The lead fields the capture tool may set.
    static let leadFields = ["name", "email", "phone", "company", "position", "interest"]

    /// The `tools` member of the request. With `strict`, every property is required and
    /// nullable (OpenAI's strict schema rules); compatible servers get plain schemas.
    static func definitions(strict: Bool) -> JSONValue {
        func nullable(_ type: String) -> JSONValue { strict ? [.string(type), "null"] : .string(type) }
        func function(
            _ name: String, _ description: String, _ properties: [String: JSONValue], required: [String]
        ) -> JSONValue {
            var parameters: [String: JSONValue] = [
                "type": "object", "properties": .object(properties), "additionalProperties": false,
                "required": .array((strict ? properties.keys.sorted() : required).map(JSONValue.string)),
            ]
            if properties.isEmpty { parameters["required"] = [] }
            var function: [String: JSONValue] = [
                "name": .string(name), "description": .string(description), "parameters": .object(parameters),
            ]
            if strict { function["strict"] = true }
            return ["type": "function", "function": .object(function)]
        }
        var leadProperties: [String: JSONValue] = [:]
        for field in leadFields {
            leadProperties[field] = [
                "type": nullable("string"), "description": .string("The lead's \(field), as the contact gave it"),
            ]
        }
        return [
            function(
                captureLeadFields,
                "Save data the contact gave about themselves (only what they actually said).",
                leadProperties, required: []),
            function(
                qualifyLead, "Qualify the lead: how likely they are to buy, with the reason.",
                [
                    "temperature": ["type": "string", "enum": ["hot", "warm", "cold"]],
                    "score": ["type": "integer", "description": "0 to 100"],
                    "reason": ["type": "string"],
                ], required: ["temperature", "score", "reason"]),
            function(
                requestHuman,
                "Hand the conversation to a human operator (the contact asks for one, or you cannot help).",
                ["reason": ["type": "string"]], required: ["reason"]),
            function(
                closeConversation, "Close the conversation after this reply (the contact's matter is settled).",
                ["reason": ["type": "string"]], required: ["reason"]),
        ]
    }

    /// The reply's JSON schema for providers that support structured outputs.
    static let replySchema: JSONValue = [
        "type": "json_schema",
        "json_schema": [
            "name": "agent_reply", "strict": true,
            "schema": [
                "type": "object", "additionalProperties": false,
                "required": ["reply", "intent", "confidence", "sentiment", "entities"],
                "properties": [
                    "reply": ["type": "string"], "intent": ["type": "string"], "confidence": ["type": "number"],
                    "sentiment": ["type": "string", "enum": ["positive", "neutral", "negative"]],
                    "entities": [
                        "type": "array",
                        "items": [
                            "type": "object", "additionalProperties": false, "required": ["type", "value"],
                            "properties": ["type": ["type": "string"], "value": ["type": "string"]],
                        ],
                    ],
                ],
            ],
        ],
    ]
}

/// The model's final answer read as the reply format; plain text is the reply itself.
struct ReplyAnalysis: Sendable {
    var reply: String
    var intent = ""
    var confidence: Double?
    var sentiment = ""
    var entities: [String: JSONValue] = [:]
    var structured = false

    init(content: String) {
        var text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        // Some models wrap JSON in a Markdown fence.
        if text.hasPrefix("```") {
            text = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
                .joined(separator: "\n")
            if text.hasSuffix("```") { text = String(text.dropLast(3)) }
            text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard text.hasPrefix("{"), let json = JSONValue(text: text), let reply = json["reply"]?.stringValue else {
            // A reply format cut short (finish_reason "length") must not reach the contact as
            // raw JSON: keep what the reply member holds so far.
            self.reply = Self.partialReply(text) ?? content.trimmingCharacters(in: .whitespacesAndNewlines)
            return
        }
        self.reply = reply.trimmingCharacters(in: .whitespacesAndNewlines)
        structured = true
        intent = String((json["intent"]?.stringValue ?? "").prefix(100))
        confidence = json["confidence"]?.numberValue.map { min(1, max(0, $0)) }
        sentiment = json["sentiment"]?.stringValue ?? ""
        for entity in json["entities"]?.arrayValue ?? [] {
            if let type = entity["type"]?.stringValue, let value = entity["value"]?.stringValue {
                entities[type] = .string(value)
            }
        }
        if let object = json["entities"]?.objectValue { entities = object }
    }

    /// The `reply` string of a truncated reply-format object, unescaped; nil when `text` is not one.
    static func partialReply(_ text: String) -> String? {
        guard text.hasPrefix("{"), let key = text.range(of: #""reply"\s*:\s*""#, options: .regularExpression)
        else { return nil }
        var escaped = false, value = ""
        for character in text[key.upperBound...] {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                value.append(character)
                escaped = true
            } else if character == "\"" {
                break
            } else {
                value.append(character)
            }
        }
        if escaped { value.removeLast() }
        guard let decoded = JSONValue(text: "\"" + value + "\"")?.stringValue else { return nil }
        let trimmed = decoded.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
