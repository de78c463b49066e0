import Contracts
import Foundation
import Postgres

/// SQL for `lead_activities`: a lead's timeline.
enum LeadActivityStore {
    /// The kinds a user records by hand.
    static let manualTypes: Set<String> = ["note", "call", "email", "meeting"]

    static let columns = """
        id, lead_id, user_id, type, coalesce(title, '') AS title, coalesce(description, '') AS description,
        coalesce(metadata, '{}') AS metadata, rfc3339(created_at) AS created_at
        """

    static func activity(from row: PostgresRow) throws -> CRM.LeadActivity {
        CRM.LeadActivity(
            id: try row.decode(UUID.self, "id").lowercasedString,
            leadId: try row.decode(UUID.self, "lead_id").lowercasedString,
            userId: try row.decode(UUID?.self, "user_id")?.lowercasedString ?? "",
            type: try row.decode(String.self, "type"),
            title: try row.decode(String.self, "title"),
            description: try row.decode(String.self, "description"),
            metadataJson: try row.decode(PostgresJSON.self, "metadata").text,
            createdAt: try row.decode(String.self, "created_at"))
    }

    /// Appends an activity to the lead's timeline (`userID` nil: done by the platform).
    @discardableResult
    static func append(
        leadID: UUID, userID: UUID?, type: String, title: String, description: String = "",
        metadata: PostgresJSON = PostgresJSON(text: "{}"), on connection: PostgresConnection
    ) async throws -> CRM.LeadActivity {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO lead_activities (lead_id, user_id, type, title, description, metadata)
                    VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6)
                    RETURNING \(columns)
                    """), [leadID, userID, type, title, description, metadata])
        return try activity(from: rows.firstRow!)
    }

    /// The lead's latest `limit` activities, newest first.
    static func timeline(
        leadID: UUID, limit: Int, on connection: PostgresConnection
    ) async throws
        -> [CRM.LeadActivity]
    {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM lead_activities WHERE lead_id = $1
                    ORDER BY lead_activities.created_at DESC, lead_activities.id DESC LIMIT $2
                    """), [leadID, limit])
        return try rows.map(activity(from:))
    }

    /// Moves every activity of `from` to `to` (a merge).
    static func move(from: UUID, to: UUID, on connection: PostgresConnection) async throws -> Int {
        try await connection.execute("UPDATE lead_activities SET lead_id = $2 WHERE lead_id = $1", [from, to])
    }
}
