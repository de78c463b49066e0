import Foundation
import Postgres

/// SQL for merging a duplicate lead into a survivor (both of one organization, locked).
enum LeadMergeStore {
    /// Moves the duplicate's conversations to the survivor.
    static func moveConversations(
        from merged: UUID, to survivor: UUID, on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            """
            INSERT INTO lead_conversations (lead_id, conversation_id, organization_id, first_seen_at, last_seen_at)
            SELECT $2, conversation_id, organization_id, first_seen_at, last_seen_at
            FROM lead_conversations WHERE lead_id = $1
            ON CONFLICT (lead_id, conversation_id) DO UPDATE SET
                first_seen_at = LEAST(lead_conversations.first_seen_at, EXCLUDED.first_seen_at),
                last_seen_at = GREATEST(lead_conversations.last_seen_at, EXCLUDED.last_seen_at)
            """, [merged, survivor])
        try await connection.execute("DELETE FROM lead_conversations WHERE lead_id = $1", [merged])
    }

    /// Adds the duplicate's interactions to the survivor's, keeps the later last interaction,
    /// and takes the duplicate's assignee when the survivor has none.
    static func absorbCounters(
        from merged: UUID, into survivor: UUID, on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            """
            UPDATE leads s SET
                total_interactions = coalesce(s.total_interactions, 0) + coalesce(m.total_interactions, 0),
                last_interaction_at = GREATEST(s.last_interaction_at, m.last_interaction_at),
                assigned_at = CASE WHEN s.assigned_to_user_id IS NULL THEN m.assigned_at ELSE s.assigned_at END,
                assigned_to_user_id = coalesce(s.assigned_to_user_id, m.assigned_to_user_id),
                conversion_probability = coalesce(s.conversion_probability, m.conversion_probability)
            FROM leads m
            WHERE s.id = $1 AND m.id = $2
            """, [survivor, merged])
    }
}
