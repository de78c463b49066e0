import Contracts
import Foundation
import Postgres

/// A conversation row as the inbox reads it (conversations + its channel's type + the
/// newest message + unread count).
struct InboxConversationRow: Sendable {
    var conversation: Conversations.InboxConversation
    var organizationID: UUID
    var channelID: UUID
    var leadID: UUID?
    var assignedToUserID: UUID?
    /// The page order key, exactly as PostgreSQL printed it (cursors round-trip it).
    var activityKey: String
}

/// SQL of the inbox: conversations read and changed by operators.
enum InboxStore {
    /// The columns every inbox read selects (`c` conversations, `ch` channels).
    static let columns = """
        c.id, c.organization_id, c.agent_id, c.channel_id, ch.type AS channel_type, c.lead_id, c.status, c.mode,
        c.contact_name, c.contact_identifier, c.assigned_to_user_id, c.assigned_at, c.priority,
        ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(c.tags) = 'array' THEN c.tags ELSE '[]' END))
            AS tags,
        c.sentiment, c.message_count, c.ai_message_count, c.human_message_count, c.first_response_time_ms,
        c.avg_response_time_ms, c.last_message_at, c.summary, c.over_plan_limit, c.closed_at, c.created_at,
        c.updated_at, COALESCE(c.last_message_at, c.created_at)::text AS activity_key,
        (SELECT m.content FROM messages m WHERE m.conversation_id = c.id
         ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_message,
        c.unread_count::int8 AS unread_count
        """

    static func find(
        _ id: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> InboxConversationRow?
    {
        // `columns` is a constant of this file: no value goes into the text.
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns)
                    FROM conversations c JOIN channels ch ON ch.id = c.channel_id
                    WHERE c.id = $1 AND c.organization_id = $2
                    """), [id, organizationID])
        return try rows.firstRow.map(decode)
    }

    /// The filters of a list call, already validated.
    struct Filter: Sendable {
        var status: String?
        var mode: String?
        var assignedTo: UUID?
        var unassigned = false
        var channelID: UUID?
        var agentID: UUID?
        var tag: String?
        var priority: String?
        var search: String?
        var after: (activity: String, id: UUID)?
        var limit: Int
    }

    /// A page of the organization's conversations, most recent activity first; one more row
    /// than `limit` tells whether another page follows.
    static func list(
        organizationID: UUID, filter: Filter, on connection: PostgresConnection
    ) async throws
        -> [InboxConversationRow]
    {
        let (query, binds) = listQuery(organizationID: organizationID, filter: filter)
        return try await connection.query(query, binds).map(decode)
    }

    /// The list statement for `filter`: only the filters it sets, and the row count as a
    /// literal.
    ///
    /// Each combination of filters is its own statement, so that PostgreSQL can settle on one
    /// generic plan for it and stop planning every execution. One statement with every filter
    /// as `($n IS NULL OR …)` and `LIMIT $n` was planned afresh each time (a custom plan: a
    /// generic plan of a parameterised LIMIT is costed for a tenth of the table), which cost
    /// the database 0.6–0.9 ms per page, more than running it. The text only ever holds fixed
    /// fragments and an integer; every value is a parameter.
    static func listQuery(organizationID: UUID, filter: Filter) -> (PostgresQuery, [any PostgresEncodable]) {
        var binds: [any PostgresEncodable] = [organizationID]
        func parameter(_ value: any PostgresEncodable, _ type: String) -> String {
            binds.append(value)
            return "$\(binds.count)::\(type)"
        }
        var conditions = ["c.organization_id = $1::uuid"]
        if let status = filter.status { conditions.append("c.status = \(parameter(status, "text"))") }
        if let mode = filter.mode { conditions.append("c.mode = \(parameter(mode, "text"))") }
        if let user = filter.assignedTo { conditions.append("c.assigned_to_user_id = \(parameter(user, "uuid"))") }
        if filter.unassigned { conditions.append("c.assigned_to_user_id IS NULL") }
        if let channel = filter.channelID { conditions.append("c.channel_id = \(parameter(channel, "uuid"))") }
        if let agent = filter.agentID { conditions.append("c.agent_id = \(parameter(agent, "uuid"))") }
        if let tag = filter.tag { conditions.append("c.tags ? \(parameter(tag, "text"))") }
        if let priority = filter.priority { conditions.append("c.priority = \(parameter(priority, "text"))") }
        if let search = filter.search {
            // EXISTS per conversation: the planner walks the page order and stops at the first
            // match of each for a common term, or uses the GIN index (idx_messages_content_fts)
            // for a rare one.
            let terms = parameter(search, "text")
            conditions.append(
                """
                EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                        AND to_tsvector('portuguese', m.content) @@ plainto_tsquery('portuguese', \(terms)))
                """)
        }
        if let after = filter.after {
            let (activity, id) = (parameter(after.activity, "timestamptz"), parameter(after.id, "uuid"))
            conditions.append("(a.activity_at, a.conversation_id) < (\(activity), \(id))")
        }
        // The order comes from conversation_activity (migration 0013): its index walks the
        // organization's conversations by activity, each joined to its row by primary key.
        // `a.activity_at` is the row's COALESCE(last_message_at, created_at), the cursor key.
        let sql = """
            SELECT \(columns)
            FROM conversation_activity a
            JOIN conversations c ON c.id = a.conversation_id
            JOIN channels ch ON ch.id = c.channel_id
            WHERE a.organization_id = $1::uuid
              AND \(conditions.joined(separator: "\n  AND "))
            ORDER BY a.activity_at DESC, a.conversation_id DESC
            LIMIT \(filter.limit + 1)
            """
        return (PostgresQuery(unsafeSQL: sql), binds)
    }

    static func decode(_ row: PostgresRow) throws -> InboxConversationRow {
        var c = Conversations.InboxConversation()
        let id = try row.decode(UUID.self, "id")
        let organizationID = try row.decode(UUID.self, "organization_id")
        let channelID = try row.decode(UUID.self, "channel_id")
        let leadID = try row.decode(UUID?.self, "lead_id")
        let assigned = try row.decode(UUID?.self, "assigned_to_user_id")
        c.id = id.lowercasedString
        c.organizationId = organizationID.lowercasedString
        c.agentId = try row.decode(UUID?.self, "agent_id")?.lowercasedString ?? ""
        c.channelId = channelID.lowercasedString
        c.channelType = try row.decode(String.self, "channel_type")
        c.leadId = leadID?.lowercasedString ?? ""
        c.status = try row.decode(String.self, "status")
        c.mode = try row.decode(String.self, "mode")
        c.contactName = try row.decode(String?.self, "contact_name") ?? ""
        c.contactIdentifier = try row.decode(String.self, "contact_identifier")
        c.assignedToUserId = assigned?.lowercasedString ?? ""
        c.assignedAt = RFC3339.string(try row.decode(Date?.self, "assigned_at"))
        c.priority = try row.decode(String?.self, "priority") ?? "normal"
        c.tags = try row.decode([String].self, "tags")
        c.sentiment = try row.decode(String?.self, "sentiment") ?? ""
        c.messageCount = Int32(try row.decode(Int?.self, "message_count") ?? 0)
        c.aiMessageCount = Int32(try row.decode(Int?.self, "ai_message_count") ?? 0)
        c.humanMessageCount = Int32(try row.decode(Int?.self, "human_message_count") ?? 0)
        c.firstResponseTimeMs = try row.decode(Int32?.self, "first_response_time_ms")
        c.avgResponseTimeMs = try row.decode(Int32?.self, "avg_response_time_ms")
        c.lastMessage = try row.decode(String?.self, "last_message") ?? ""
        c.lastMessageAt = RFC3339.string(try row.decode(Date?.self, "last_message_at"))
        c.unreadCount = Int32(try row.decode(Int64.self, "unread_count"))
        c.summary = try row.decode(String?.self, "summary") ?? ""
        c.overPlanLimit = try row.decode(Bool.self, "over_plan_limit")
        c.closedAt = RFC3339.string(try row.decode(Date?.self, "closed_at"))
        c.createdAt = RFC3339.string(try row.decode(Date?.self, "created_at"))
        c.updatedAt = RFC3339.string(try row.decode(Date?.self, "updated_at"))
        return InboxConversationRow(
            conversation: c, organizationID: organizationID, channelID: channelID, leadID: leadID,
            assignedToUserID: assigned, activityKey: try row.decode(String.self, "activity_key"))
    }
}

/// RFC 3339 timestamps (UTC, milliseconds) as the contracts carry them.
enum RFC3339 {
    static func string(_ date: Date?) -> String {
        guard let date else { return "" }
        return TimestampText.rfc3339(date)
    }
}
