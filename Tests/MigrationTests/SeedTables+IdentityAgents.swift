/// The seed's tables (seed/data-model.md §2), transcribed column by column, as each service's
/// first migration must create them. The seed itself is not in the repository, so this is the
/// record of it the tests hold the migrations to.
///
/// Departures the migrations document in their headers, and nothing else:
/// - references into another service's schema are plain `uuid` columns (NOT NULL kept where
///   the seed had it) without a foreign key;
/// - `messages` and `analytics_events` are partitioned by `created_at`, so their primary key
///   is `(id, created_at)` and `created_at` is NOT NULL (default kept);
/// - `agent_configs` is not in the seed: DESIGN.md §1 gives it to agents.
enum SeedTables {
    /// Every table, in the order the services are listed in DESIGN.md §1.
    static let all: [ExpectedTable] = [
        organizations, users, agents, scripts, agentConfigs, channels, conversations, messages,
        leads, leadActivities, webhooks, webhookLogs, analyticsEvents,
    ]

    /// The tables of one service's schema.
    static func tables(of service: ServiceSchema) -> [ExpectedTable] {
        all.filter { $0.schema == service.schema }
    }

    /// §2.1 Organizations.
    static let organizations = ExpectedTable(
        .identity, "organizations",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("name", .varchar(255), .notNull),
            .init("slug", .varchar(100), .notNull),
            .init("plan", .varchar(50), .notNull, default: .string("free")),
            .init("status", .varchar(20), .notNull, default: .string("active")),
            .init("settings", .jsonb, default: .json("{}")),
            .init("branding", .jsonb, default: .json("{}")),
            .init("max_agents", .integer, default: .number("1")),
            .init("max_conversations_per_month", .integer, default: .number("100")),
            .init("max_users", .integer, default: .number("3")),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
            .init("deleted_at", .timestamptz),
        ])

    /// §2.2 Users.
    static let users = ExpectedTable(
        .identity, "users",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("organization_id", .uuid, .notNull),
            .init("email", .varchar(255), .notNull),
            .init("password_hash", .varchar(255), .notNull),
            .init("full_name", .varchar(255), .notNull),
            .init("avatar_url", .varchar(500)),
            .init("email_verified", .boolean, default: .bool(false)),
            .init("two_factor_enabled", .boolean, default: .bool(false)),
            .init("two_factor_secret", .varchar(255)),
            .init("role", .varchar(50), .notNull, default: .string("consultant")),
            .init("permissions", .jsonb, default: .json("[]")),
            .init("status", .varchar(20), .notNull, default: .string("active")),
            .init("last_login_at", .timestamptz),
            .init("preferences", .jsonb, default: .json("{}")),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
            .init("deleted_at", .timestamptz),
        ])

    /// §2.3 Agents (organization_id: plain uuid, organizations live in identity).
    static let agents = ExpectedTable(
        .agents, "agents",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("organization_id", .uuid, .notNull),
            .init("name", .varchar(255), .notNull),
            .init("description", .text),
            .init("avatar_url", .varchar(500)),
            .init("personality", .text, .notNull),
            .init("tone", .varchar(50), default: .string("professional")),
            .init("objective", .text, .notNull),
            .init("system_message", .text, .notNull),
            .init("custom_scripts", .jsonb, default: .json("[]")),
            .init("context_data", .jsonb, default: .json("{}")),
            .init("openai_api_key_encrypted", .text),
            .init("model", .varchar(50), default: .string("gpt-4-turbo-preview")),
            .init("temperature", .numeric(2, 1), default: .number("0.7")),
            .init("max_tokens", .integer, default: .number("1000")),
            .init("auto_response_enabled", .boolean, default: .bool(true)),
            .init("handoff_rules", .jsonb, default: .json("{}")),
            .init("lead_qualification_rules", .jsonb, default: .json("{}")),
            .init("languages", .jsonb, default: .json(#"["pt-BR"]"#)),
            .init("default_language", .varchar(10), default: .string("pt-BR")),
            .init("status", .varchar(20), .notNull, default: .string("active")),
            .init("is_published", .boolean, default: .bool(false)),
            .init("total_conversations", .integer, default: .number("0")),
            .init("avg_response_time_ms", .integer),
            .init("satisfaction_score", .numeric(3, 2)),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
            .init("deleted_at", .timestamptz),
        ])

    /// §2.11 Scripts.
    static let scripts = ExpectedTable(
        .agents, "scripts",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("agent_id", .uuid, .notNull),
            .init("name", .varchar(255), .notNull),
            .init("description", .text),
            .init("content", .text, .notNull),
            .init("type", .varchar(50), .notNull),
            .init("priority", .integer, default: .number("0")),
            .init("enabled", .boolean, default: .bool(true)),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
        ])

    /// Not in the seed: the version history of an agent's configuration (DESIGN.md §1), as
    /// agents/0001_init.sql documents it (created_by references identity.users: plain uuid).
    static let agentConfigs = ExpectedTable(
        .agents, "agent_configs",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("agent_id", .uuid, .notNull),
            .init("version", .integer, .notNull),
            .init("config", .jsonb, .notNull),
            .init("created_by", .uuid),
            .init("created_at", .timestamptz, default: .now),
        ])
}
