extension SeedTables {
    /// §2.4 Channels (organization_id, agent_id: plain uuid, they live in identity and agents).
    static let channels = ExpectedTable(
        .conversations, "channels",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("organization_id", .uuid, .notNull),
            .init("agent_id", .uuid),
            .init("type", .varchar(50), .notNull),
            .init("name", .varchar(255), .notNull),
            .init("config", .jsonb, .notNull),
            .init("phone_number", .varchar(20)),
            .init("phone_number_id", .varchar(100)),
            .init("business_account_id", .varchar(100)),
            .init("instagram_account_id", .varchar(100)),
            .init("instagram_username", .varchar(100)),
            .init("webhook_url", .varchar(500)),
            .init("webhook_secret", .varchar(255)),
            .init("status", .varchar(20), .notNull, default: .string("inactive")),
            .init("last_sync_at", .timestamptz),
            .init("error_message", .text),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
            .init("deleted_at", .timestamptz),
        ])

    /// §2.5 Conversations (organization_id, agent_id, lead_id, assigned_to_user_id: plain uuid;
    /// channel_id keeps its foreign key).
    static let conversations = ExpectedTable(
        .conversations, "conversations",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("organization_id", .uuid, .notNull),
            .init("agent_id", .uuid),
            .init("channel_id", .uuid, .notNull),
            .init("lead_id", .uuid),
            .init("contact_identifier", .varchar(255), .notNull),
            .init("contact_name", .varchar(255)),
            .init("contact_metadata", .jsonb, default: .json("{}")),
            .init("status", .varchar(50), .notNull, default: .string("active")),
            .init("mode", .varchar(50), .notNull, default: .string("ai")),
            .init("assigned_to_user_id", .uuid),
            .init("assigned_at", .timestamptz),
            .init("context", .jsonb, default: .json("{}")),
            .init("summary", .text),
            .init("sentiment", .varchar(20)),
            .init("priority", .varchar(20), default: .string("normal")),
            .init("tags", .jsonb, default: .json("[]")),
            .init("message_count", .integer, default: .number("0")),
            .init("ai_message_count", .integer, default: .number("0")),
            .init("human_message_count", .integer, default: .number("0")),
            .init("first_response_time_ms", .integer),
            .init("avg_response_time_ms", .integer),
            .init("last_message_at", .timestamptz),
            .init("closed_at", .timestamptz),
            .init("created_at", .timestamptz, default: .now),
            .init("updated_at", .timestamptz, default: .now),
        ])

    /// §2.6 Messages, partitioned by month (§6): created_at is NOT NULL because it is part of
    /// the primary key (id, created_at); sender_id is a plain uuid (users live in identity).
    static let messages = ExpectedTable(
        .conversations, "messages",
        [
            .init("id", .uuid, .notNull, default: .newUUID),
            .init("conversation_id", .uuid, .notNull),
            .init("sender_type", .varchar(20), .notNull),
            .init("sender_id", .uuid),
            .init("content", .text, .notNull),
            .init("content_type", .varchar(50), default: .string("text")),
            .init("media_url", .varchar(500)),
            .init("media_metadata", .jsonb),
            .init("direction", .varchar(20), .notNull),
            .init("status", .varchar(50), default: .string("sent")),
            .init("ai_generated", .boolean, default: .bool(false)),
            .init("ai_model", .varchar(50)),
            .init("ai_confidence", .numeric(3, 2)),
            .init("ai_processing_time_ms", .integer),
            .init("prompt_tokens", .integer),
            .init("completion_tokens", .integer),
            .init("intent", .varchar(100)),
            .init("entities", .jsonb, default: .json("{}")),
            .init("external_id", .varchar(255)),
            .init("external_metadata", .jsonb),
            .init("sent_at", .timestamptz, default: .now),
            .init("delivered_at", .timestamptz),
            .init("read_at", .timestamptz),
            .init("created_at", .timestamptz, .notNull, default: .now),
        ])
}
