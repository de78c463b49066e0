import Contracts
import Foundation
import Postgres

/// A row of `agents` (not deleted), with its sealed provider key.
struct AgentRecord: Sendable {
    var id: UUID
    var organizationID: UUID
    var settings: AgentSettings
    var status: String
    var isPublished: Bool
    /// `openai_api_key_encrypted`: a KeyRing sealed value (base64), never shown.
    var sealedProviderKey: String?
    var providerKeyLast4: String?
    var totalConversations: Int32
    var avgResponseTimeMs: Int32?
    var configVersion: Int32
    var createdAt: Date
    var updatedAt: Date

    static let columns = """
        id, organization_id, name, description, avatar_url, personality, tone, objective, system_message,
        context_data, model, temperature::float8 AS temperature, max_tokens, auto_response_enabled, handoff_rules,
        lead_qualification_rules, languages, default_language, status, is_published, openai_api_key_encrypted,
        provider_key_last4, provider_base_url, total_conversations, avg_response_time_ms, config_version,
        created_at, updated_at
        """

    /// The seed's default model, a retired preview alias: treated as "the platform default".
    static let retiredSeedModel = "gpt-4-turbo-preview"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, "id")
        organizationID = try row.decode(UUID.self, "organization_id")
        let model = try row.decode(String?.self, "model") ?? ""
        settings = AgentSettings(
            name: try row.decode(String.self, "name"),
            description: try row.decode(String?.self, "description") ?? "",
            avatarURL: try row.decode(String?.self, "avatar_url") ?? "",
            personality: try row.decode(String.self, "personality"),
            tone: try row.decode(String?.self, "tone") ?? "professional",
            objective: try row.decode(String.self, "objective"),
            systemMessage: try row.decode(String.self, "system_message"),
            contextData: JSONValue(text: try row.decode(String?.self, "context_data") ?? "{}") ?? .object([:]),
            model: model == Self.retiredSeedModel ? "" : model,
            temperature: try row.decode(Double?.self, "temperature") ?? 0.7,
            maxTokens: Int(try row.decode(Int32?.self, "max_tokens") ?? 1000),
            autoResponseEnabled: try row.decode(Bool?.self, "auto_response_enabled") ?? true,
            handoffRules: JSONValue(text: try row.decode(String?.self, "handoff_rules") ?? "{}") ?? .object([:]),
            leadQualificationRules: JSONValue(text: try row.decode(String?.self, "lead_qualification_rules") ?? "{}")
                ?? .object([:]),
            languages: (try? row.decodeJSON([String].self, "languages")) ?? ["pt-BR"],
            defaultLanguage: try row.decode(String?.self, "default_language") ?? "pt-BR",
            providerBaseURL: try row.decode(String?.self, "provider_base_url") ?? "")
        status = try row.decode(String.self, "status")
        isPublished = try row.decode(Bool?.self, "is_published") ?? false
        sealedProviderKey = try row.decode(String?.self, "openai_api_key_encrypted")
        providerKeyLast4 = try row.decode(String?.self, "provider_key_last4")
        totalConversations = try row.decode(Int32?.self, "total_conversations") ?? 0
        avgResponseTimeMs = try row.decode(Int32?.self, "avg_response_time_ms")
        configVersion = try row.decode(Int32.self, "config_version")
        createdAt = try row.decode(Date?.self, "created_at") ?? Date()
        updatedAt = try row.decode(Date?.self, "updated_at") ?? Date()
    }

    /// Whether a channel's messages get AI replies from it.
    var answers: Bool { status == "active" && isPublished && settings.autoResponseEnabled }

    /// The agent as the REST API shows it: no key, only whether one is set and its last four.
    func contract(defaultModel: String) -> Agents.Agent {
        Agents.Agent(
            id: id.lowercasedString, organizationId: organizationID.lowercasedString,
            name: settings.name, description: settings.description, avatarUrl: settings.avatarURL,
            personality: settings.personality, tone: settings.tone, objective: settings.objective,
            systemMessage: settings.systemMessage, contextDataJson: settings.contextData.text, model: settings.model,
            temperature: settings.temperature, maxTokens: Int32(settings.maxTokens),
            autoResponseEnabled: settings.autoResponseEnabled, handoffRulesJson: settings.handoffRules.text,
            leadQualificationRulesJson: settings.leadQualificationRules.text, languages: settings.languages,
            defaultLanguage: settings.defaultLanguage, status: status, isPublished: isPublished,
            providerKeySet: sealedProviderKey != nil, providerKeyLast4: providerKeyLast4 ?? "",
            providerBaseUrl: settings.providerBaseURL, totalConversations: totalConversations,
            avgResponseTimeMs: avgResponseTimeMs ?? 0, configVersion: configVersion,
            createdAt: Timestamp.text(createdAt), updatedAt: Timestamp.text(updatedAt),
            effectiveModel: settings.model.isEmpty ? defaultModel : settings.model)
    }
}
