/// An index, key or trigger the migrations must create, as the catalogs print it.
///
/// `definition` is what follows `USING` in `pg_get_indexdef` for an index
/// (`btree (created_at DESC)`), `pg_get_constraintdef` for a key (`UNIQUE (slug)`), or
/// `pg_get_triggerdef` for a trigger.
struct CatalogEntry: Sendable, Hashable, Comparable, CustomStringConvertible {
    let schema: String
    let table: String
    let name: String
    let definition: String

    init(_ schema: ServiceSchema, _ table: String, _ name: String, _ definition: String) {
        self.init(schema: schema.schema, table: table, name: name, definition: definition)
    }

    init(schema: String, table: String, name: String, definition: String) {
        self.schema = schema
        self.table = table
        self.name = name
        self.definition = definition
    }

    static func < (lhs: CatalogEntry, rhs: CatalogEntry) -> Bool {
        (lhs.schema, lhs.table, lhs.name) < (rhs.schema, rhs.table, rhs.name)
    }

    var description: String { "\(schema).\(table) \(name): \(definition)" }
}

/// The seed's indexes (§2 and §4), unique keys, same-schema foreign keys and triggers (§5).
enum SeedConstraints {
    /// Every index that does not back a key: the seed's, plus the ones the migration headers
    /// document as added for plain-uuid reference columns (marked `added`).
    static let indexes: [CatalogEntry] = [
        // identity (§2.1, §2.2)
        .init(.identity, "organizations", "idx_organizations_slug", "btree (slug)"),
        .init(.identity, "organizations", "idx_organizations_status", "btree (status)"),
        .init(.identity, "users", "idx_users_organization", "btree (organization_id)"),
        .init(.identity, "users", "idx_users_email", "btree (email)"),
        .init(.identity, "users", "idx_users_role", "btree (role)"),
        // agents (§2.3, §2.11)
        .init(.agents, "agents", "idx_agents_organization", "btree (organization_id)"),
        .init(.agents, "agents", "idx_agents_status", "btree (status)"),
        .init(.agents, "scripts", "idx_scripts_agent", "btree (agent_id)"),
        .init(.agents, "scripts", "idx_scripts_enabled", "btree (enabled)"),
        .init(.agents, "agent_configs", "idx_agent_configs_created_by", "btree (created_by)"),  // added
        // conversations (§2.4–§2.6, §4)
        .init(.conversations, "channels", "idx_channels_organization", "btree (organization_id)"),
        .init(.conversations, "channels", "idx_channels_agent", "btree (agent_id)"),
        .init(.conversations, "channels", "idx_channels_type", "btree (type)"),
        .init(.conversations, "conversations", "idx_conversations_organization", "btree (organization_id)"),
        .init(.conversations, "conversations", "idx_conversations_agent", "btree (agent_id)"),
        .init(.conversations, "conversations", "idx_conversations_channel", "btree (channel_id)"),
        .init(.conversations, "conversations", "idx_conversations_lead", "btree (lead_id)"),
        .init(.conversations, "conversations", "idx_conversations_assigned_to", "btree (assigned_to_user_id)"),
        .init(.conversations, "conversations", "idx_conversations_status", "btree (status)"),
        .init(.conversations, "conversations", "idx_conversations_mode", "btree (mode)"),
        .init(.conversations, "conversations", "idx_conversations_contact", "btree (contact_identifier)"),
        .init(.conversations, "conversations", "idx_conversations_org_status", "btree (organization_id, status)"),
        .init(
            .conversations, "conversations", "idx_conversations_org_assigned",
            "btree (organization_id, assigned_to_user_id)"),
        .init(.conversations, "messages", "idx_messages_conversation", "btree (conversation_id)"),
        .init(.conversations, "messages", "idx_messages_sender", "btree (sender_type, sender_id)"),
        .init(.conversations, "messages", "idx_messages_created_at", "btree (created_at DESC)"),
        .init(.conversations, "messages", "idx_messages_external_id", "btree (external_id)"),
        .init(.conversations, "messages", "idx_messages_conv_created", "btree (conversation_id, created_at DESC)"),
        .init(
            .conversations, "messages", "idx_messages_content_fts",
            "gin (to_tsvector('portuguese'::regconfig, content))"),
        // crm (§2.7, §2.8, §4)
        .init(.crm, "leads", "idx_leads_organization", "btree (organization_id)"),
        .init(.crm, "leads", "idx_leads_status", "btree (status)"),
        .init(.crm, "leads", "idx_leads_temperature", "btree (temperature)"),
        .init(.crm, "leads", "idx_leads_assigned_to", "btree (assigned_to_user_id)"),
        .init(.crm, "leads", "idx_leads_email", "btree (email)"),
        .init(.crm, "leads", "idx_leads_phone", "btree (phone)"),
        .init(.crm, "leads", "idx_leads_channel", "btree (channel_id)"),  // added
        .init(.crm, "leads", "idx_leads_org_status", "btree (organization_id, status)"),
        .init(.crm, "leads", "idx_leads_org_temp", "btree (organization_id, temperature)"),
        .init(.crm, "leads", "idx_leads_name_fts", "gin (to_tsvector('portuguese'::regconfig, (name)::text))"),
        .init(.crm, "lead_activities", "idx_lead_activities_lead", "btree (lead_id)"),
        .init(.crm, "lead_activities", "idx_lead_activities_type", "btree (type)"),
        .init(.crm, "lead_activities", "idx_lead_activities_created_at", "btree (created_at DESC)"),
        .init(.crm, "lead_activities", "idx_lead_activities_user", "btree (user_id)"),  // added
        // hooks (§2.9, §2.10)
        .init(.hooks, "webhooks", "idx_webhooks_organization", "btree (organization_id)"),
        .init(.hooks, "webhooks", "idx_webhooks_agent", "btree (agent_id)"),
        .init(.hooks, "webhook_logs", "idx_webhook_logs_webhook", "btree (webhook_id)"),
        .init(.hooks, "webhook_logs", "idx_webhook_logs_created_at", "btree (created_at DESC)"),
        // analytics (§2.12)
        .init(.analytics, "analytics_events", "idx_analytics_organization", "btree (organization_id)"),
        .init(.analytics, "analytics_events", "idx_analytics_event_type", "btree (event_type)"),
        .init(.analytics, "analytics_events", "idx_analytics_created_at", "btree (created_at DESC)"),
        .init(.analytics, "analytics_events", "idx_analytics_agent", "btree (agent_id)"),  // added
        .init(.analytics, "analytics_events", "idx_analytics_user", "btree (user_id)"),  // added
        .init(.analytics, "analytics_events", "idx_analytics_conversation", "btree (conversation_id)"),  // added
        .init(.analytics, "analytics_events", "idx_analytics_lead", "btree (lead_id)"),  // added
    ]

    /// Primary keys and unique constraints (`name` is the table's column list, for reading).
    static let keys: [CatalogEntry] =
        SeedTables.all.map { table in
            let partitioned = table.name == "messages" || table.name == "analytics_events"
            return CatalogEntry(
                schema: table.schema, table: table.name, name: "\(table.name)_pkey",
                definition: partitioned ? "PRIMARY KEY (id, created_at)" : "PRIMARY KEY (id)")
        } + [
            .init(.identity, "organizations", "organizations_slug_key", "UNIQUE (slug)"),
            .init(.identity, "users", "users_email_key", "UNIQUE (email)"),
            .init(.agents, "agent_configs", "agent_configs_agent_id_version_key", "UNIQUE (agent_id, version)"),
        ]

    /// Foreign keys: only where both ends live in one schema, with the seed's ON DELETE.
    static let foreignKeys: [CatalogEntry] = [
        .init(
            .identity, "users", "users_organization_id_fkey",
            "FOREIGN KEY (organization_id) REFERENCES identity.organizations(id) ON DELETE CASCADE"),
        .init(
            .agents, "scripts", "scripts_agent_id_fkey",
            "FOREIGN KEY (agent_id) REFERENCES agents.agents(id) ON DELETE CASCADE"),
        .init(
            .agents, "agent_configs", "agent_configs_agent_id_fkey",
            "FOREIGN KEY (agent_id) REFERENCES agents.agents(id) ON DELETE CASCADE"),
        .init(
            .conversations, "conversations", "conversations_channel_id_fkey",
            "FOREIGN KEY (channel_id) REFERENCES conversations.channels(id) ON DELETE CASCADE"),
        .init(
            .conversations, "messages", "messages_conversation_id_fkey",
            "FOREIGN KEY (conversation_id) REFERENCES conversations.conversations(id) ON DELETE CASCADE"),
        .init(
            .crm, "lead_activities", "lead_activities_lead_id_fkey",
            "FOREIGN KEY (lead_id) REFERENCES crm.leads(id) ON DELETE CASCADE"),
        .init(
            .hooks, "webhook_logs", "webhook_logs_webhook_id_fkey",
            "FOREIGN KEY (webhook_id) REFERENCES hooks.webhooks(id) ON DELETE CASCADE"),
    ]

    /// §5.1 on every table with updated_at, and §5.2 on messages.
    static let triggers: [CatalogEntry] =
        SeedTables.all.filter(\.hasUpdatedAt).map { table in
            CatalogEntry(
                schema: table.schema, table: table.name, name: "update_\(table.name)_updated_at",
                definition: "CREATE TRIGGER update_\(table.name)_updated_at BEFORE UPDATE ON \(table.qualifiedName) "
                    + "FOR EACH ROW EXECUTE FUNCTION \(table.schema).update_updated_at_column()")
        } + [
            .init(
                .conversations, "messages", "update_conversation_stats_trigger",
                "CREATE TRIGGER update_conversation_stats_trigger AFTER INSERT ON conversations.messages "
                    + "FOR EACH ROW EXECUTE FUNCTION conversations.update_conversation_stats()")
        ]
}
