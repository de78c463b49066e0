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

    static func settings(from row: PostgresRow) throws -> Identity.OrganizationSettings {
        Identity.OrganizationSettings(
            settings: try row.decode(PostgresJSON.self, "settings").text,
            branding: try row.decode(PostgresJSON.self, "branding").text)
    }
}
