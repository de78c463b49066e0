import Contracts
import Foundation
import Postgres
import RPC

/// SQL for `leads` (one organization at a time: every statement is scoped by it) and
/// `lead_conversations`.
enum LeadStore {
    /// The columns of a ``CRM/Lead``, as a SELECT list or a RETURNING clause.
    static let columns = """
        id, organization_id, coalesce(name, '') AS name, coalesce(email, '') AS email,
        coalesce(phone, '') AS phone, status, coalesce(temperature, 'cold') AS temperature,
        coalesce(score, 0) AS score, coalesce(source, '') AS source, channel_id, assigned_to_user_id,
        assigned_at, coalesce(company, '') AS company,
        coalesce(position, '') AS position, coalesce(interest, '') AS interest, coalesce(notes, '') AS notes,
        coalesce(custom_fields, '{}') AS custom_fields, coalesce(tags, '[]') AS tags,
        coalesce(segment, '') AS segment, coalesce(total_interactions, 0) AS total_interactions,
        last_interaction_at, conversion_probability::text AS conversion_probability,
        converted_at, lost_at, created_at, updated_at, coalesce(platform_user_id, '') AS platform_user_id
        """

    /// A timestamp column of ``columns`` as the contracts carry it (RFC 3339, whole seconds;
    /// "" for NULL). Written here rather than with `to_char` in the query: that cost the
    /// server about a third of a millisecond per page of 50 leads.
    static func timestamp(_ row: PostgresRow, _ column: String) throws -> String {
        try row.decode(String?.self, column).map { TimestampText.rfc3339(postgresUTC: $0) } ?? ""
    }

    /// The page cursor's time of a row selected with ``columns``: its `created_at` to the
    /// microsecond, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    static func cursorTime(_ row: PostgresRow) throws -> String {
        TimestampText.rfc3339(postgresUTC: try row.decode(String.self, "created_at"), microseconds: true)
    }

    /// Decodes a row selected with ``columns``.
    static func lead(from row: PostgresRow) throws -> CRM.Lead {
        let tags = (try? row.decodeJSON([String].self, "tags")) ?? []
        return CRM.Lead(
            id: try row.decode(UUID.self, "id").lowercasedString,
            organizationId: try row.decode(UUID.self, "organization_id").lowercasedString,
            name: try row.decode(String.self, "name"),
            email: try row.decode(String.self, "email"),
            phone: try row.decode(String.self, "phone"),
            status: try row.decode(String.self, "status"),
            temperature: try row.decode(String.self, "temperature"),
            score: try row.decode(Int32.self, "score"),
            source: try row.decode(String.self, "source"),
            channelId: try row.decode(UUID?.self, "channel_id")?.lowercasedString ?? "",
            assignedToUserId: try row.decode(UUID?.self, "assigned_to_user_id")?.lowercasedString ?? "",
            assignedAt: try timestamp(row, "assigned_at"),
            company: try row.decode(String.self, "company"),
            position: try row.decode(String.self, "position"),
            interest: try row.decode(String.self, "interest"),
            notes: try row.decode(String.self, "notes"),
            customFieldsJson: try row.decode(PostgresJSON.self, "custom_fields").text,
            tags: tags,
            segment: try row.decode(String.self, "segment"),
            totalInteractions: try row.decode(Int32.self, "total_interactions"),
            lastInteractionAt: try timestamp(row, "last_interaction_at"),
            conversionProbability: try row.decode(String?.self, "conversion_probability") ?? "",
            convertedAt: try timestamp(row, "converted_at"),
            lostAt: try timestamp(row, "lost_at"),
            createdAt: try timestamp(row, "created_at"),
            updatedAt: try timestamp(row, "updated_at"),
            platformUserId: try row.decode(String.self, "platform_user_id"))
    }

    /// The live (not deleted) lead `id` of the organization, locked for the transaction when
    /// `forUpdate`; nil for an unknown id or another organization's.
    static func find(
        id: UUID, organizationID: UUID, forUpdate: Bool = false, on connection: PostgresConnection
    ) async throws -> CRM.Lead? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT \(columns) FROM leads WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL"
                    + lock),
            [id, organizationID])
        return try rows.firstRow.map(Self.lead(from:))
    }

    /// The organization's live leads among `ids` (one query, in no particular order); with
    /// `summaryOnly` only their id, organization, name and temperature.
    static func find(
        ids: [UUID], organizationID: UUID, summaryOnly: Bool = false, on connection: PostgresConnection
    ) async throws -> [CRM.Lead] {
        let selected = summaryOnly ? summaryColumns : columns
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT \(selected) FROM leads WHERE id = ANY($1::uuid[]) AND organization_id = $2 AND deleted_at IS NULL"
            ),
            [ids.map { $0.lowercasedString }, organizationID])
        guard summaryOnly else { return try rows.map(Self.lead(from:)) }
        return try rows.map { row in
            CRM.Lead(
                id: try row.decode(UUID.self, "id").lowercasedString,
                organizationId: try row.decode(UUID.self, "organization_id").lowercasedString,
                name: try row.decode(String.self, "name"), temperature: try row.decode(String.self, "temperature"))
        }
    }

    /// The columns of a lead's summary (``find(ids:organizationID:summaryOnly:on:)``).
    static let summaryColumns = """
        id, organization_id, coalesce(name, '') AS name, coalesce(temperature, 'cold') AS temperature
        """

    /// The live lead of a contact: by phone, else by source and platform user id, else by
    /// email (the oldest such lead); locked for the transaction.
    static func findContact(
        organizationID: UUID, contact: ContactKey, on connection: PostgresConnection
    ) async throws -> CRM.Lead? {
        if let phone = contact.phone {
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(columns) FROM leads
                        WHERE organization_id = $1 AND phone = $2 AND deleted_at IS NULL FOR UPDATE
                        """), [organizationID, phone.e164])
            if let row = rows.firstRow { return try Self.lead(from: row) }
        }
        if let platformUserID = contact.platformUserID {
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(columns) FROM leads
                        WHERE organization_id = $1 AND source = $2 AND platform_user_id = $3 AND deleted_at IS NULL
                        FOR UPDATE
                        """), [organizationID, contact.source, platformUserID])
            if let row = rows.firstRow { return try Self.lead(from: row) }
        }
        if let email = contact.email {
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(columns) FROM leads
                        WHERE organization_id = $1 AND email = $2 AND deleted_at IS NULL
                        ORDER BY leads.created_at, leads.id LIMIT 1 FOR UPDATE
                        """), [organizationID, email])
            if let row = rows.firstRow { return try Self.lead(from: row) }
        }
        return nil
    }

    /// Inserts a lead whose fields are `lead`'s (empty texts are NULL); status and its
    /// timestamps, assignment and counters as given.
    static func insert(
        _ lead: CRM.Lead, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> CRM.Lead
    {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO leads (organization_id, name, email, phone, status, temperature, score, source,
                        channel_id, assigned_to_user_id, assigned_at, company, position, interest, notes,
                        custom_fields, tags, segment, platform_user_id, converted_at, lost_at)
                    VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), NULLIF($4, ''), $5, $6, $7, NULLIF($8, ''),
                        $9, $10, CASE WHEN $10::uuid IS NULL THEN NULL ELSE CURRENT_TIMESTAMP END,
                        NULLIF($11, ''), NULLIF($12, ''), NULLIF($13, ''), NULLIF($14, ''), $15, $16,
                        NULLIF($17, ''), NULLIF($18, ''),
                        CASE WHEN $5 = 'converted' THEN CURRENT_TIMESTAMP END,
                        CASE WHEN $5 = 'lost' THEN CURRENT_TIMESTAMP END)
                    RETURNING \(columns)
                    """),
            [
                organizationID, lead.name, lead.email, lead.phone, lead.status.isEmpty ? "new" : lead.status,
                lead.temperature.isEmpty ? "cold" : lead.temperature, Int(lead.score), lead.source,
                UUID(canonicalText: lead.channelId), UUID(canonicalText: lead.assignedToUserId), lead.company,
                lead.position, lead.interest, lead.notes,
                PostgresJSON(text: lead.customFieldsJson.isEmpty ? "{}" : lead.customFieldsJson),
                try PostgresJSON(encoding: lead.tags), lead.segment, lead.platformUserId,
            ])
        return try Self.lead(from: rows.firstRow!)
    }

    /// Writes the editable fields of `lead` (name, email, phone, company, position, interest,
    /// notes, source, segment, temperature, score, custom fields, tags, channel, platform user
    /// id; empty texts are NULL).
    static func saveFields(
        _ lead: CRM.Lead, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> CRM.Lead
    {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE leads SET name = NULLIF($3, ''), email = NULLIF($4, ''), phone = NULLIF($5, ''),
                        company = NULLIF($6, ''), position = NULLIF($7, ''), interest = NULLIF($8, ''),
                        notes = NULLIF($9, ''), source = NULLIF($10, ''), segment = NULLIF($11, ''),
                        temperature = $12, score = $13, custom_fields = $14, tags = $15,
                        channel_id = $16, platform_user_id = NULLIF($17, '')
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    RETURNING \(columns)
                    """),
            [
                try CRMHandlers.leadID(lead.id), organizationID, lead.name, lead.email, lead.phone, lead.company,
                lead.position, lead.interest, lead.notes, lead.source, lead.segment, lead.temperature,
                Int(lead.score), PostgresJSON(text: lead.customFieldsJson.isEmpty ? "{}" : lead.customFieldsJson),
                try PostgresJSON(encoding: lead.tags), UUID(canonicalText: lead.channelId), lead.platformUserId,
            ])
        return try CRMHandlers.requireLead(try rows.firstRow.map(Self.lead(from:)))
    }

    /// Moves the lead to `status`: converted_at is set on entering `converted` and cleared on
    /// leaving it, lost_at likewise for `lost`.
    static func setStatus(
        id: UUID, organizationID: UUID, status: String, on connection: PostgresConnection
    ) async throws -> CRM.Lead {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE leads SET status = $3,
                        converted_at = CASE WHEN $3 = 'converted' THEN CURRENT_TIMESTAMP END,
                        lost_at = CASE WHEN $3 = 'lost' THEN CURRENT_TIMESTAMP END
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    RETURNING \(columns)
                    """), [id, organizationID, status])
        return try CRMHandlers.requireLead(try rows.firstRow.map(Self.lead(from:)))
    }

    /// Assigns the lead to `userID` now (nil unassigns).
    static func assign(
        id: UUID, organizationID: UUID, userID: UUID?, on connection: PostgresConnection
    ) async throws -> CRM.Lead {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE leads SET assigned_to_user_id = $3,
                        assigned_at = CASE WHEN $3::uuid IS NULL THEN NULL ELSE CURRENT_TIMESTAMP END
                    WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
                    RETURNING \(columns)
                    """), [id, organizationID, userID])
        return try CRMHandlers.requireLead(try rows.firstRow.map(Self.lead(from:)))
    }

    /// Counts an interaction at `occurredAt`; false when there is no such live lead.
    static func recordInteraction(
        id: UUID, organizationID: UUID, occurredAt: Date?, on connection: PostgresConnection
    ) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE leads SET total_interactions = coalesce(total_interactions, 0) + 1,
                last_interaction_at = GREATEST(last_interaction_at, coalesce($3, CURRENT_TIMESTAMP))
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
            """, [id, organizationID, occurredAt]) == 1
    }

    /// Soft-deletes the lead (pointing at `mergedInto` when merged); false when there is no
    /// such live lead.
    static func softDelete(
        id: UUID, organizationID: UUID, mergedInto: UUID? = nil, on connection: PostgresConnection
    ) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE leads SET deleted_at = CURRENT_TIMESTAMP, merged_into_id = $3
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
            """, [id, organizationID, mergedInto]) == 1
    }

    /// Records that `conversationID` found or talked to the lead.
    static func linkConversation(
        leadID: UUID, conversationID: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO lead_conversations (lead_id, conversation_id, organization_id) VALUES ($1, $2, $3)
            ON CONFLICT (lead_id, conversation_id) DO UPDATE SET last_seen_at = CURRENT_TIMESTAMP
            """, [leadID, conversationID, organizationID])
    }

    /// The lead's conversations, most recently seen first.
    static func conversationIDs(leadID: UUID, on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query(
            "SELECT conversation_id FROM lead_conversations WHERE lead_id = $1 ORDER BY last_seen_at DESC",
            [leadID])
        return try rows.map { try $0.decode(UUID.self, "conversation_id").lowercasedString }
    }

    /// How many live leads of the organization are in each status.
    static func pipeline(organizationID: UUID, on connection: PostgresConnection) async throws -> [String: Int] {
        let rows = try await connection.query(
            """
            SELECT status, count(*)::bigint AS n FROM leads
            WHERE organization_id = $1 AND deleted_at IS NULL GROUP BY status
            """, [organizationID])
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.decode(String.self, "status")] = try row.decode(Int.self, "n") }
        return counts
    }
}

/// What identifies a contact for find-or-create, in matching order.
struct ContactKey: Sendable {
    var phone: PhoneNumber?
    var source: String
    var platformUserID: String?
    var email: String?

    /// The key serialized for the contact's advisory lock: the first identifier present.
    var lockKey: String? {
        if let phone { return "phone:\(phone.e164)" }
        if let platformUserID { return "platform:\(source):\(platformUserID)" }
        if let email { return "email:\(email)" }
        return nil
    }
}
