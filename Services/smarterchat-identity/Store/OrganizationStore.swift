import Contracts
import Foundation
import Postgres
import RPC

/// SQL for `organizations`.
enum OrganizationStore {
    /// Inserts a new active organization on the free plan's defaults.
    ///
    /// - Throws: `ALREADY_EXISTS` "organization slug is taken" when the slug is in use.
    static func create(
        name: String, slug: String, on connection: PostgresConnection
    ) async throws
        -> Identity.Organization
    {
        do {
            let rows = try await connection.query(
                """
                INSERT INTO organizations (name, slug) VALUES ($1, $2)
                RETURNING id, name, slug, plan, status, max_agents, max_conversations_per_month, max_users,
                    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
                """, [name, slug])
            guard let row = rows.firstRow else { throw RPCError(.internalError, "internal error") }
            return try organization(from: row)
        } catch let error as PostgresError where error.code == .alreadyExists {
            throw RPCError(.alreadyExists, "organization slug is taken", cause: error)
        }
    }

    /// The organization `id`, or nil.
    static func find(id: UUID, on connection: PostgresConnection) async throws -> Identity.Organization? {
        let rows = try await connection.query(
            """
            SELECT id, name, slug, plan, status, max_agents, max_conversations_per_month, max_users,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
            FROM organizations WHERE id = $1 AND deleted_at IS NULL
            """, [id])
        return try rows.firstRow.map(organization(from:))
    }

    /// Every organization not deleted, oldest first.
    static func list(on connection: PostgresConnection) async throws -> [Identity.Organization] {
        let rows = try await connection.query(
            """
            SELECT id, name, slug, plan, status, max_agents, max_conversations_per_month, max_users,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
            FROM organizations WHERE deleted_at IS NULL ORDER BY created_at, slug
            """)
        return try rows.map(organization(from:))
    }

    /// Applies the fields set in `request` (status, plan, limits); nil when there is no such
    /// organization.
    static func update(
        id: UUID, request: Identity.UpdateOrganizationRequest, on connection: PostgresConnection
    ) async throws -> Identity.Organization? {
        let rows = try await connection.query(
            """
            UPDATE organizations SET status = COALESCE($2, status), plan = COALESCE($3, plan),
                max_agents = COALESCE($4, max_agents),
                max_conversations_per_month = COALESCE($5, max_conversations_per_month),
                max_users = COALESCE($6, max_users)
            WHERE id = $1 AND deleted_at IS NULL
            RETURNING id, name, slug, plan, status, max_agents, max_conversations_per_month, max_users,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
            """,
            [
                id, request.status, request.plan, request.maxAgents, request.maxConversationsPerMonth,
                request.maxUsers,
            ])
        return try rows.firstRow.map(organization(from:))
    }

    /// Locks the organization (inside a transaction, so concurrent invitations queue) and
    /// answers its `max_users` (nil or 0: no limit) and how many users it has.
    static func lockUserCount(
        id: UUID, on connection: PostgresConnection
    ) async throws -> (
        maxUsers: Int32?, users: Int64
    ) {
        let locked = try await connection.query(
            "SELECT max_users FROM organizations WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", [id])
        guard let row = locked.firstRow else { throw RPCError(.notFound, "organization not found") }
        let counted = try await connection.query(
            "SELECT count(*)::bigint AS users FROM users WHERE organization_id = $1 AND deleted_at IS NULL", [id])
        return (try row.decode(Int32?.self, "max_users"), try counted.firstRow?.decode(Int64.self, "users") ?? 0)
    }

    private static func organization(from row: PostgresRow) throws -> Identity.Organization {
        Identity.Organization(
            id: try row.decode(UUID.self, "id").lowercasedString,
            name: try row.decode(String.self, "name"),
            slug: try row.decode(String.self, "slug"),
            plan: try row.decode(String.self, "plan"),
            status: try row.decode(String.self, "status"),
            maxAgents: try row.decode(Int32?.self, "max_agents") ?? 0,
            maxConversationsPerMonth: try row.decode(Int32?.self, "max_conversations_per_month") ?? 0,
            maxUsers: try row.decode(Int32?.self, "max_users") ?? 0,
            createdAt: try row.decode(String?.self, "created_at") ?? "")
    }
}
