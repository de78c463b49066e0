import Contracts
import Foundation
import Postgres

/// SQL for the `settings` and `branding` JSONB columns of `organizations`.
enum OrganizationSettingsStore {
    /// The organization's settings and branding as JSON text; nil when there is no such
    /// (live) organization.
    static func find(
        organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> Identity.OrganizationSettings?
    {
        let rows = try await connection.query(
            """
            SELECT COALESCE(settings, '{}'::jsonb) AS settings, COALESCE(branding, '{}'::jsonb) AS branding
            FROM organizations WHERE id = $1 AND deleted_at IS NULL
            """, [organizationID])
        return try rows.firstRow.map(settings(from:))
    }

    /// Replaces whichever of `settings` and `branding` is not nil; nil when there is no such
    /// organization.
    static func update(
        organizationID: UUID, settings: PostgresJSON?, branding: PostgresJSON?, on connection: PostgresConnection
    ) async throws -> Identity.OrganizationSettings? {
        let rows = try await connection.query(
            """
            UPDATE organizations SET settings = COALESCE($2, settings), branding = COALESCE($3, branding)
            WHERE id = $1 AND deleted_at IS NULL
            RETURNING COALESCE(settings, '{}'::jsonb) AS settings, COALESCE(branding, '{}'::jsonb) AS branding
            """, [organizationID, settings, branding])
        return try rows.firstRow.map(settings(from:))
    }

    /// The members of `settings` other services read, with their ranges: present, each must
    /// be a JSON whole number in its range (`return_to_ai_after_minutes` 0 is "never").
    static let checkedMembers: [(name: String, range: ClosedRange<Int>)] = [
        ("conversations.message_retention_days", 30...3650),
        ("conversations.return_to_ai_after_minutes", 0...10080),
    ]

    /// The first of ``checkedMembers`` that `settings` holds with a value that is not a whole
    /// number in its range; nil when all are absent or valid. Checked by PostgreSQL, with the
    /// same jsonb semantics as the queries that read them (ListMessageRetention,
    /// ListAssignableUsers): `true`, `"30"` or `30.5` are not whole numbers.
    static func invalidMember(in settings: PostgresJSON, on connection: PostgresConnection) async throws -> String? {
        let rows = try await connection.query(
            """
            SELECT member.name
            FROM unnest($2::text[], $3::int[], $4::int[]) AS member(name, low, high)
            CROSS JOIN LATERAL (
                SELECT $1::jsonb #> string_to_array(member.name, '.') AS value
            ) AS found
            CROSS JOIN LATERAL (
                SELECT CASE WHEN jsonb_typeof(found.value) = 'number' THEN (found.value #>> '{}')::numeric END AS number
            ) AS parsed
            WHERE found.value IS NOT NULL
              AND NOT COALESCE(parsed.number = trunc(parsed.number) AND parsed.number BETWEEN member.low AND member.high, false)
            ORDER BY array_position($2::text[], member.name)
            LIMIT 1
            """,
            [
                settings, checkedMembers.map(\.name), checkedMembers.map { Int32($0.range.lowerBound) },
                checkedMembers.map { Int32($0.range.upperBound) },
            ])
        return try rows.firstRow?.decode(String.self, "name")
    }

    static func settings(from row: PostgresRow) throws -> Identity.OrganizationSettings {
        Identity.OrganizationSettings(
            settings: try row.decode(PostgresJSON.self, "settings").text,
            branding: try row.decode(PostgresJSON.self, "branding").text)
    }
}
