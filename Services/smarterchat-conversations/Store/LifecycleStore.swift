import Foundation
import Postgres

/// The state of a conversation that lifecycle changes read, locked for the change.
struct LockedConversation: Sendable {
    var id: UUID
    var organizationID: UUID
    var channelID: UUID
    var channelType: String
    var channelStatus: String
    var channelError: String?
    var channelDeleted: Bool
    var contactIdentifier: String
    var status: String
    var mode: String
    var assignedToUserID: UUID?
    var priority: String
    var tags: [String]
    var lastContactMessageAt: Date?
    var overPlanLimit: Bool
    var agentID: UUID?
    /// The channel's provider ids and sealed secrets (``ChannelCredentials/opening(_:keyRing:)``
    /// opens them for a send straight after this transaction).
    var channelConfig: PostgresJSON?
    var phoneNumberID: String?
    var instagramAccountID: String?

    var isOpen: Bool { status == "active" || status == "waiting" }
    /// Whether the AI answers the contact: mode `ai`, or `hybrid` (the AI answers while an
    /// operator follows the conversation; an operator who writes takes it over).
    var aiAnswers: Bool { Self.aiAnswering.contains(mode) }

    /// The modes in which the AI answers.
    static let aiAnswering: Set<String> = ["ai", "hybrid"]
}

/// SQL of lifecycle changes: lock, update, cancel pending AI replies.
enum LifecycleStore {
    /// Locks the conversation (FOR UPDATE) when it belongs to `organizationID`.
    static func lock(
        _ id: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> LockedConversation?
    {
        let rows = try await connection.query(
            """
            SELECT c.id, c.organization_id, c.channel_id, ch.type AS channel_type, ch.status AS channel_status,
                   ch.error_message, ch.deleted_at IS NOT NULL AS channel_deleted, c.contact_identifier, c.status,
                   c.mode, c.assigned_to_user_id, COALESCE(c.priority, 'normal') AS priority,
                   ARRAY(SELECT jsonb_array_elements_text(
                       CASE WHEN jsonb_typeof(c.tags) = 'array' THEN c.tags ELSE '[]' END)) AS tags,
                   c.last_contact_message_at, c.over_plan_limit, c.agent_id, ch.config AS channel_config,
                   ch.phone_number_id, ch.instagram_account_id
            FROM conversations c JOIN channels ch ON ch.id = c.channel_id
            WHERE c.id = $1 AND c.organization_id = $2
            FOR UPDATE OF c
            """, [id, organizationID])
        guard let row = rows.firstRow else { return nil }
        return LockedConversation(
            id: try row.decode(UUID.self, "id"), organizationID: try row.decode(UUID.self, "organization_id"),
            channelID: try row.decode(UUID.self, "channel_id"),
            channelType: try row.decode(String.self, "channel_type"),
            channelStatus: try row.decode(String.self, "channel_status"),
            channelError: try row.decode(String?.self, "error_message"),
            channelDeleted: try row.decode(Bool.self, "channel_deleted"),
            contactIdentifier: try row.decode(String.self, "contact_identifier"),
            status: try row.decode(String.self, "status"), mode: try row.decode(String.self, "mode"),
            assignedToUserID: try row.decode(UUID?.self, "assigned_to_user_id"),
            priority: try row.decode(String.self, "priority"), tags: try row.decode([String].self, "tags"),
            lastContactMessageAt: try row.decode(Date?.self, "last_contact_message_at"),
            overPlanLimit: try row.decode(Bool.self, "over_plan_limit"),
            agentID: try row.decode(UUID?.self, "agent_id"),
            channelConfig: try row.decode(PostgresJSON?.self, "channel_config"),
            phoneNumberID: try row.decode(String?.self, "phone_number_id"),
            instagramAccountID: try row.decode(String?.self, "instagram_account_id"))
    }

    /// Writes the lifecycle columns of `state` (status, mode, assignment, priority, tags);
    /// `assignedNow` stamps assigned_at, `closedNow`/`reopened` closed_at.
    static func save(
        _ state: LockedConversation, assignedNow: Bool, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            UPDATE conversations
            SET status = $2, mode = $3, assigned_to_user_id = $4,
                assigned_at = CASE WHEN $5::bool THEN CURRENT_TIMESTAMP ELSE assigned_at END,
                priority = $6, tags = to_jsonb($7::text[]),
                closed_at = CASE WHEN $2 IN ('closed', 'archived') THEN COALESCE(closed_at, CURRENT_TIMESTAMP)
                                 ELSE NULL END
            WHERE id = $1
            """,
            [
                state.id, state.status, state.mode, state.assignedToUserID, assignedNow, state.priority, state.tags,
            ])
    }

    /// Records operator activity (the clock of the return-to-AI setting).
    static func touchOperatorActivity(
        _ id: UUID, resumeAfterMinutes: Int?, on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            """
            UPDATE conversations SET last_operator_activity_at = CURRENT_TIMESTAMP, ai_resume_after_minutes = $2
            WHERE id = $1
            """, [id, resumeAfterMinutes])
    }

    /// Skips the conversation's pending reply jobs (an operator answers now); a running job
    /// re-checks the mode when it commits.
    @discardableResult
    static func skipPendingReplies(_ id: UUID, result: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.execute(
            """
            UPDATE reply_jobs SET status = 'skipped', result = $2, locked_until = NULL
            WHERE conversation_id = $1 AND status = 'pending'
            """, [id, result])
    }

    /// Conversations in mode human whose operator has been idle longer than their
    /// organization's setting go back to AI; answers (organization, conversation) of each.
    static func returnIdleToAI(on connection: PostgresConnection) async throws -> [(UUID, UUID, Int)] {
        let rows = try await connection.query(
            """
            UPDATE conversations SET mode = 'ai', status = CASE WHEN status = 'waiting' THEN 'active' ELSE status END
            WHERE mode = 'human' AND ai_resume_after_minutes IS NOT NULL AND ai_resume_after_minutes > 0
              AND status IN ('active', 'waiting')
              AND last_operator_activity_at < CURRENT_TIMESTAMP - make_interval(mins => ai_resume_after_minutes)
            RETURNING organization_id, id, ai_resume_after_minutes
            """)
        return try rows.map {
            (
                try $0.decode(UUID.self, "organization_id"), try $0.decode(UUID.self, "id"),
                try $0.decode(Int.self, "ai_resume_after_minutes")
            )
        }
    }
}
