import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// conversation_activity (migration 0013) holds each conversation's inbox order, so that a
/// message's update of its conversation's row changes no indexed column and is a HOT update.
@Suite("Conversation activity")
struct ConversationActivityTests {
    static let logger = Logger(label: "ConversationActivityTests")

    /// Inserts a new conversation (with its channel) and answers its id; schema-qualified, so
    /// it runs whatever the session's search_path.
    static let insertConversation: PostgresQuery = """
        WITH c AS (
            INSERT INTO conversations.channels (organization_id, type, name, config)
            VALUES (gen_random_uuid(), 'webchat', 'activity test', '{}') RETURNING id, organization_id)
        INSERT INTO conversations.conversations (organization_id, channel_id, contact_identifier)
        SELECT organization_id, id, 'activity test' FROM c RETURNING id
        """

    @Test("a new conversation's activity is its creation; each message moves it, and the row's update is HOT")
    func messagesMoveActivityWithHOTUpdates() async throws {
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "conversations", poolSize: 2, logger: Self.logger)
        defer { Task { await database.close() } }
        let id = try await database.query(Self.insertConversation).firstRow!.decode(UUID.self, "id")
        let created = try await database.query(
            """
            SELECT a.activity_at = c.created_at AS same, a.organization_id = c.organization_id AS same_org
            FROM conversation_activity a JOIN conversations c ON c.id = a.conversation_id WHERE c.id = $1
            """, [id]
        ).firstRow
        #expect(try created?.decode(Bool.self, "same") == true)
        #expect(try created?.decode(Bool.self, "same_org") == true)

        for second in 1...3 {
            let row = try await database.withTransaction { connection in
                try await connection.execute(
                    """
                    INSERT INTO messages (conversation_id, sender_type, content, direction, created_at)
                    VALUES ($1, 'contact', 'oi', 'inbound', now() + make_interval(secs => $2))
                    """, [id, second])
                // This transaction's own counts of conversations' row updates, all and HOT.
                return try await connection.query(
                    """
                    SELECT pg_stat_get_xact_tuples_updated('conversations'::regclass) AS updated,
                           pg_stat_get_xact_tuples_hot_updated('conversations'::regclass) AS hot,
                           (SELECT activity_at = c.last_message_at FROM conversation_activity a
                            JOIN conversations c ON c.id = a.conversation_id WHERE c.id = $1) AS follows
                    """, [id]
                ).firstRow!
            }
            #expect(try row.decode(Int.self, "updated") >= 1)
            #expect(try row.decode(Int.self, "hot") == row.decode(Int.self, "updated"))
            #expect(try row.decode(Bool.self, "follows"))
        }
        // A session with another search_path (psql, a superuser's script) fires the trigger too.
        let other = try await database.withTransaction { connection in
            try await connection.execute("SET LOCAL search_path = public")
            return try await connection.query(Self.insertConversation).firstRow!.decode(UUID.self, "id")
        }
        let tracked = try await database.query(
            "SELECT count(*) AS n FROM conversation_activity WHERE conversation_id = $1", [other]
        ).firstRow!.decode(Int.self, "n")
        #expect(tracked == 1)
        let count = try await database.query(
            "SELECT count(*) AS n FROM conversation_activity WHERE conversation_id = $1", [id]
        ).firstRow!.decode(Int.self, "n")
        #expect(count == 1)
        try await database.execute("DELETE FROM conversations WHERE id = $1", [id])
        let left = try await database.query(
            "SELECT count(*) AS n FROM conversation_activity WHERE conversation_id = $1", [id]
        ).firstRow!.decode(Int.self, "n")
        #expect(left == 0)
    }
}
