import Foundation

/// The versioned part of an agent: every field a change to which is a new version in
/// `agent_configs` (status, publication and the provider key are not: they are state and a
/// secret, not configuration). Stored there as this JSON object.
struct AgentSettings: Sendable, Equatable, Codable {
    var name: String
    var description: String
    var avatarURL: String
    var personality: String
    var tone: String
    var objective: String
    var systemMessage: String
    var contextData: JSONValue
    /// Empty: the platform's default model.
    var model: String
    var temperature: Double
    var maxTokens: Int
    var autoResponseEnabled: Bool
    var handoffRules: JSONValue
    var leadQualificationRules: JSONValue
    var languages: [String]
    var defaultLanguage: String
    /// Empty: the platform's default base URL.
    var providerBaseURL: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, personality, tone, objective, model, temperature, languages
        case avatarURL = "avatar_url"
        case systemMessage = "system_message"
        case contextData = "context_data"
        case maxTokens = "max_tokens"
        case autoResponseEnabled = "auto_response_enabled"
        case handoffRules = "handoff_rules"
        case leadQualificationRules = "lead_qualification_rules"
        case defaultLanguage = "default_language"
        case providerBaseURL = "provider_base_url"
    }

    /// The settings as a JSON object (the `config` of a version).
    var json: JSONValue {
        let data = (try? JSONEncoder().encode(self)) ?? Data("{}".utf8)
        return (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .object([:])
    }

    /// The fields whose values differ between two configurations (as JSON objects), sorted.
    static func changes(from old: JSONValue, to new: JSONValue) -> [(field: String, from: JSONValue, to: JSONValue)] {
        let before = old.objectValue ?? [:], after = new.objectValue ?? [:]
        return Set(before.keys).union(after.keys).sorted().compactMap { field in
            let from = before[field] ?? .null, to = after[field] ?? .null
            return from == to ? nil : (field, from, to)
        }
    }
}
