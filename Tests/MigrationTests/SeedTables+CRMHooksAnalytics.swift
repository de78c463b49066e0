extension SeedTables {
    /// §2.7 Leads (organization_id, channel_id, assigned_to_user_id: plain uuid).
    static let leads = ExpectedTable(
        .crm, "leads",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("organization_id", .uuid, .notNull),
            .init("name", .varchar(255)),
            .init("email", .varchar(255)),
            .init("phone", .varchar(50)),
            .init("status", .varchar(50), .notNull, default: .string("new")),
            .init("temperature", .varchar(20), default: .string("cold")),
            .init("score", .integer, default: .number("0")),
            .init("source", .varchar(100)),
            .init("channel_id", .uuid),
            .init("assigned_to_user_id", .uuid),
            .init("assigned_at", .timestamptz),
            .init("company", .varchar(255)),
            .init("position", .varchar(255)),
            .init("interest", .text),
            .init("notes", .text),
            .init("custom_fields", .jsonb, default: .json("{}")),
            .init("tags", .jsonb, default: .json("[]")),
            .init("segment", .varchar(100)),
            .init("total_interactions", .integer, default: .number("0")),
            .init("last_interaction_at", .timestamptz),
            .init("conversion_probability", .numeric(3, 2)),
            .init("converted_at", .timestamptz),
            .init("lost_at", .timestamptz),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
            .init("deleted_at", .timestamptz),
        ])

    /// §2.8 Lead Activities (user_id: plain uuid; lead_id keeps its foreign key).
    static let leadActivities = ExpectedTable(
        .crm, "lead_activities",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("lead_id", .uuid, .notNull),
            .init("user_id", .uuid),
            .init("type", .varchar(50), .notNull),
            .init("title", .varchar(255)),
            .init("description", .text),
            .init("metadata", .jsonb, default: .json("{}")),
            .init("created_at", .timestamptz, default: .now),
        ])

    /// §2.9 Webhooks (organization_id, agent_id: plain uuid).
    static let webhooks = ExpectedTable(
        .hooks, "webhooks",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("organization_id", .uuid, .notNull),
            .init("agent_id", .uuid),
            .init("name", .varchar(255), .notNull),
            .init("url", .varchar(500), .notNull),
            .init("method", .varchar(10), default: .string("POST")),
            .init("headers", .jsonb, default: .json("{}")),
            .init("events", .jsonb, .notNull),
            .init("secret", .varchar(255)),
            .init("retry_enabled", .boolean, default: .bool(true)),
            .init("max_retries", .integer, default: .number("3")),
            .init("retry_delay_seconds", .integer, default: .number("60")),
            .init("status", .varchar(20), .notNull, default: .string("active")),
            .init("last_triggered_at", .timestamptz),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
        ])

    /// §2.10 Webhook Logs (webhook_id keeps its foreign key).
    static let webhookLogs = ExpectedTable(
        .hooks, "webhook_logs",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("webhook_id", .uuid, .notNull),
            .init("event_type", .varchar(100), .notNull),
            .init("payload", .jsonb, .notNull),
            .init("status_code", .integer),
            .init("response_body", .text),
            .init("error_message", .text),
            .init("duration_ms", .integer),
            .init("attempt_number", .integer, default: .number("1")),
            .init("created_at", .timestamptz, default: .now),
        ])

    /// §2.12 Analytics Events, partitioned by month (§6): every reference is a plain uuid and
    /// created_at is NOT NULL (part of the primary key (id, created_at)).
    static let analyticsEvents = ExpectedTable(
        .analytics, "analytics_events",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("organization_id", .uuid, .notNull),
            .init("event_type", .varchar(100), .notNull),
            .init("event_data", .jsonb, .notNull),
            .init("agent_id", .uuid),
            .init("user_id", .uuid),
            .init("conversation_id", .uuid),
            .init("lead_id", .uuid),
            .init("created_at", .timestamptz, .notNull, default: .now),
        ])
}
