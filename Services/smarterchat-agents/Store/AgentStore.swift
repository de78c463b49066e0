import Foundation
import Postgres

/// SQL for `agents`: every query names the organization, so another tenant's id finds nothing.
enum AgentStore {
    static func list(organizationID: UUID, on connection: PostgresConnection) async throws -> [AgentRecord] {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(AgentRecord.columns) FROM agents
                    WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY created_at, id
                    """), [organizationID]
        ).map(AgentRecord.init(row:))
    }

    /// One agent of the organization; `lock` takes the row for the transaction.
    static func find(
        id: UUID, organizationID: UUID, lock: Bool = false, on connection: PostgresConnection
    ) async throws -> AgentRecord? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(AgentRecord.columns) FROM agents
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    """ + (lock ? " FOR UPDATE" : "")), [id, organizationID]
        ).firstRow.map(AgentRecord.init(row:))
    }

    /// How many agents the organization has, counted under a per-organization transaction
    /// lock so that two concurrent creations cannot both pass the plan limit.
    static func lockAndCount(organizationID: UUID, on connection: PostgresConnection) async throws -> Int {
        _ = try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended('agents.create:' || $1::text, 0))", [organizationID])
        let rows = try await connection.query(
            "SELECT count(*)::bigint AS n FROM agents WHERE organization_id = $1 AND deleted_at IS NULL",
            [organizationID])
        return Int(try rows.firstRow?.decode(Int64.self, "n") ?? 0)
    }

    static func insert(
        organizationID: UUID, settings: AgentSettings, status: String, on connection: PostgresConnection
    ) async throws -> AgentRecord {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO agents (organization_id, name, description, avatar_url, personality, tone, objective,
                        system_message, context_data, model, temperature, max_tokens, auto_response_enabled, handoff_rules,
                        lead_qualification_rules, languages, default_language, provider_base_url, status, config_version)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1)
                    RETURNING \(AgentRecord.columns)
                    """), [organizationID as any PostgresEncodable] + values(settings) + [status]
        ).firstRow.map(AgentRecord.init(row:))!
    }

    /// Writes the settings and the new version number.
    static func update(
        id: UUID, organizationID: UUID, settings: AgentSettings, configVersion: Int32,
        on connection: PostgresConnection
    ) async throws -> AgentRecord? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE agents SET name = $3, description = $4, avatar_url = $5, personality = $6, tone = $7,
                        objective = $8, system_message = $9, context_data = $10, model = $11, temperature = $12,
                        max_tokens = $13, auto_response_enabled = $14, handoff_rules = $15, lead_qualification_rules = $16,
                        languages = $17, default_language = $18, provider_base_url = $19, config_version = $20
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    RETURNING \(AgentRecord.columns)
                    """), [id as any PostgresEncodable, organizationID] + values(settings) + [configVersion]
        ).firstRow.map(AgentRecord.init(row:))
    }

    private static func values(_ settings: AgentSettings) -> [any PostgresEncodable] {
        [
            settings.name, nullIfEmpty(settings.description), nullIfEmpty(settings.avatarURL), settings.personality,
            settings.tone, settings.objective, settings.systemMessage, PostgresJSON(text: settings.contextData.text),
            nullIfEmpty(settings.model), Decimal(string: String(format: "%.1f", settings.temperature)) ?? 0.7,
            Int32(settings.maxTokens), settings.autoResponseEnabled, PostgresJSON(text: settings.handoffRules.text),
            PostgresJSON(text: settings.leadQualificationRules.text),
            PostgresJSON(text: JSONValue.array(settings.languages.map(JSONValue.string)).text),
            settings.defaultLanguage, nullIfEmpty(settings.providerBaseURL),
        ]
    }

    private static func nullIfEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    static func setStatus(
        id: UUID, organizationID: UUID, status: String?, published: Bool?, on connection: PostgresConnection
    ) async throws -> AgentRecord? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE agents SET status = COALESCE($3, status), is_published = COALESCE($4, is_published)
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    RETURNING \(AgentRecord.columns)
                    """), [id, organizationID, status, published]
        ).firstRow.map(AgentRecord.init(row:))
    }

    /// Stores a sealed key and its last four characters (nil, nil removes it).
    static func setProviderKey(
        id: UUID, organizationID: UUID, sealed: String?, last4: String?, on connection: PostgresConnection
    ) async throws -> AgentRecord? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE agents SET openai_api_key_encrypted = $3, provider_key_last4 = $4
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    RETURNING \(AgentRecord.columns)
                    """), [id, organizationID, sealed, last4]
        ).firstRow.map(AgentRecord.init(row:))
    }

    /// Soft-deletes; also unpublishes and forgets the key (a deleted agent never answers).
    static func delete(id: UUID, organizationID: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE agents SET deleted_at = CURRENT_TIMESTAMP, is_published = FALSE,
                openai_api_key_encrypted = NULL, provider_key_last4 = NULL
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
            """, [id, organizationID]) == 1
    }

    /// Folds `replies` replies taking `totalMilliseconds` in all into the running mean, and
    /// adds `conversations` first AI replies of a conversation (``AgentMetricsRecorder``).
    static func recordReplies(
        id: UUID, organizationID: UUID, replies: Int, totalMilliseconds: Int, conversations: Int,
        on connection: PostgresConnection
    ) async throws {
        guard replies > 0 else { return }
        try await connection.execute(
            """
            UPDATE agents SET
                avg_response_time_ms = ROUND((COALESCE(avg_response_time_ms, 0)::numeric * reply_count + $3)
                    / (reply_count + $4))::integer,
                reply_count = reply_count + $4,
                total_conversations = COALESCE(total_conversations, 0) + $5
            WHERE id = $1 AND organization_id = $2
            """, [id, organizationID, Int64(totalMilliseconds), Int64(replies), Int64(conversations)])
    }
}
