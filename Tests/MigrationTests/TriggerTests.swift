import Foundation
import Postgres
import Testing

/// The §5.1 trigger keeps `updated_at` current on every table that has the column, and the
/// §5.2 trigger keeps a conversation's message counters as messages arrive.
@Suite("The first migrations install the seed's triggers")
struct TriggerTests {
    /// For each table with updated_at: an insert of one valid row returning its id, with the
    /// rows it depends on created in the same statement. `$1` is a unique text token.
    static let sampleRows: [String: String] = [
        "identity.organizations": """
        INSERT INTO identity.organizations (name, slug) VALUES ('Org', $1) RETURNING id
        """,
        "identity.users": """
        WITH o AS (INSERT INTO identity.organizations (name, slug) VALUES ('Org', $1) RETURNING id)
        INSERT INTO identity.users (organization_id, email, password_hash, full_name)
        SELECT id, $1 || '@example.com', 'x', 'User' FROM o RETURNING id
        """,
        "agents.agents": """
        INSERT INTO agents.agents (organization_id, name, personality, objective, system_message)
        VALUES (gen_random_uuid(), $1, 'p', 'o', 's') RETURNING id
        """,
        "agents.scripts": """
        WITH a AS (
            INSERT INTO agents.agents (organization_id, name, personality, objective, system_message)
            VALUES (gen_random_uuid(), $1, 'p', 'o', 's') RETURNING id)
        INSERT INTO agents.scripts (agent_id, name, content, type)
        SELECT id, 'greet', 'Olá', 'prompt_modifier' FROM a RETURNING id
        """,
        "conversations.channels": """
        INSERT INTO conversations.channels (organization_id, type, name, config)
        VALUES (gen_random_uuid(), 'webchat', $1, '{}') RETURNING id
        """,
        "conversations.conversations": """
        WITH c AS (
            INSERT INTO conversations.channels (organization_id, type, name, config)
            VALUES (gen_random_uuid(), 'webchat', $1, '{}') RETURNING id, organization_id)
        INSERT INTO conversations.conversations (organization_id, channel_id, contact_identifier)
        SELECT organization_id, id, $1 FROM c RETURNING id
        """,
        "crm.leads": """
        INSERT INTO crm.leads (organization_id, name) VALUES (gen_random_uuid(), $1) RETURNING id
        """,
        "hooks.webhooks": """
        INSERT INTO hooks.webhooks (organization_id, name, url, events)
        VALUES (gen_random_uuid(), $1, 'https://example.com/hook', '["lead.created"]') RETURNING id
        """,
    ]

    @Test("every table with updated_at has a sample row here")
    func everyUpdatedAtTableIsCovered() {
        let tables = Set(SeedTables.all.filter(\.hasUpdatedAt).map(\.qualifiedName))
        #expect(tables == Set(Self.sampleRows.keys))
    }

    @Test("triggers exist as the seed declares them, and no others")
    func triggersMatchSeed() async throws {
        let database = try await MigratedDatabase.shared()
        let rows = try await database.withAdmin { client in
            try await textRows(
                client,
                PostgresQuery(
                    unsafeSQL: """
                        SELECT n.nspname, t.relname, g.tgname, pg_get_triggerdef(g.oid)
                        FROM pg_trigger g
                        JOIN pg_class t ON t.oid = g.tgrelid
                        JOIN pg_namespace n ON n.oid = t.relnamespace
                        WHERE n.nspname IN \(ConstraintTests.schemas) AND NOT g.tgisinternal AND g.tgparentid = 0
                        """))
        }
        let found = rows.map {
            CatalogEntry(schema: $0[0] ?? "", table: $0[1] ?? "", name: $0[2] ?? "", definition: $0[3] ?? "")
        }
        #expect(found.sorted() == SeedConstraints.triggers.sorted())
    }

    @Test("an UPDATE moves updated_at to the current time", arguments: SeedTables.all.filter(\.hasUpdatedAt))
    func updateRefreshesUpdatedAt(table: ExpectedTable) async throws {
        let database = try await MigratedDatabase.shared()
        let service = try #require(ServiceSchema.all.first { $0.schema == table.schema })
        let insert = try #require(Self.sampleRows[table.qualifiedName])
        try await database.withRole(service) { client in
            let token = "t\(UInt64.random(in: 0...UInt64.max))"
            let id = try #require(
                try await client.query(PostgresQuery(unsafeSQL: insert), [token]).firstRow?.decode(UUID.self, "id"))
            // The UPDATE asks to keep an old updated_at: the BEFORE UPDATE trigger must
            // overwrite it with the statement's CURRENT_TIMESTAMP.
            let row = try #require(
                try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE \(table.qualifiedName) SET created_at = created_at, updated_at = '2001-02-03T04:05:06Z'
                            WHERE id = $1
                            RETURNING updated_at > now() - interval '1 minute' AS fresh, updated_at = now() AS is_now
                            """), [id]
                ).firstRow)
            #expect(try row.decode(Bool.self, "fresh"))
            #expect(try row.decode(Bool.self, "is_now"))
        }
    }

    @Test("inserting contact, ai and user messages updates the conversation's counters")
    func messagesUpdateConversationStats() async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(.conversations) { client in
            let token = "t\(UInt64.random(in: 0...UInt64.max))"
            let conversation = try #require(
                try await client.query(
                    PostgresQuery(unsafeSQL: Self.sampleRows["conversations.conversations"]!), [token]
                ).firstRow?.decode(UUID.self, "id"))
            let insertMessage: PostgresQuery = """
                INSERT INTO conversations.messages (conversation_id, sender_type, content, direction, created_at)
                VALUES ($1, $2, 'oi', $3, now() + make_interval(secs => $4))
                """
            try await client.execute(insertMessage, [conversation, "contact", "inbound", 1])
            try await client.execute(insertMessage, [conversation, "ai", "outbound", 2])
            try await client.execute(insertMessage, [conversation, "contact", "inbound", 3])
            try await client.execute(insertMessage, [conversation, "user", "outbound", 4])
            let row = try #require(
                try await client.query(
                    """
                    SELECT message_count, ai_message_count, human_message_count,
                           last_message_at = (SELECT max(created_at) FROM conversations.messages WHERE conversation_id = $1)
                               AS last_is_newest
                    FROM conversations.conversations WHERE id = $1
                    """, [conversation]
                ).firstRow)
            #expect(try row.decode(Int.self, "message_count") == 4)
            #expect(try row.decode(Int.self, "ai_message_count") == 1)
            #expect(try row.decode(Int.self, "human_message_count") == 1)
            #expect(try row.decode(Bool.self, "last_is_newest"))
        }
    }
}
