import Contracts
import Cryptography
import Foundation
import Postgres

/// SQL for `sessions`: issuing, validating, rotating, listing and revoking token pairs.
///
/// Tokens are 256-bit random strings handed out once; only their SHA-256 (hex) is stored, so
/// a copy of the table lets nobody log in.
enum SessionStore {
    /// Lifetimes of the tokens issued.
    struct Lifetimes: Sendable {
        var access: Int64
        var refresh: Int64
    }

    /// Who an access token stands for.
    struct Validated: Sendable {
        var organizationID: UUID
        var userID: UUID
        var role: String
        var sessionID: UUID
        var expiresIn: Int64
        /// Permissions granted on top of the role (users.permissions).
        var grants: [String]
    }

    /// The session a refresh token belongs to, as found under a row lock.
    struct RefreshTarget: Sendable {
        var id: UUID
        var familyID: UUID
        var organizationID: UUID
        var userID: UUID
        var rotated: Bool
        /// Not revoked, not expired, and its user and organization may still log in.
        var usable: Bool
    }

    /// The SHA-256 of a token, hex, as stored.
    static func hash(_ token: String) -> String {
        Hex.encode(Digest.sha256(Array(token.utf8)))
    }

    /// Issues a new token pair in `familyID` (a new login passes a new id).
    static func issue(
        familyID: UUID, organizationID: UUID, userID: UUID, client: Identity.ClientInfo?, lifetimes: Lifetimes,
        on connection: PostgresConnection
    ) async throws -> Identity.TokenPair {
        let access = SecureRandom.token(), refresh = SecureRandom.token()
        try await connection.execute(
            """
            INSERT INTO sessions (family_id, organization_id, user_id, access_token_hash, access_expires_at,
                refresh_token_hash, refresh_expires_at, ip_address, user_agent)
            VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP + $5 * INTERVAL '1 second',
                $6, CURRENT_TIMESTAMP + $7 * INTERVAL '1 second', $8, $9)
            """,
            [
                familyID, organizationID, userID, hash(access), lifetimes.access, hash(refresh), lifetimes.refresh,
                client.map { String($0.ipAddress.prefix(64)) }, client.map { String($0.userAgent.prefix(500)) },
            ])
        return Identity.TokenPair(
            accessToken: access, refreshToken: refresh, tokenType: "Bearer", expiresIn: lifetimes.access,
            refreshExpiresIn: lifetimes.refresh, sessionId: familyID.lowercasedString)
    }

    /// The principal of a live access token: not expired, not revoked, not rotated away, its
    /// user active and its organization active. Nil otherwise.
    static func validate(accessToken: String, on connection: PostgresConnection) async throws -> Validated? {
        let rows = try await connection.query(
            """
            SELECT s.organization_id, s.user_id, u.role, s.family_id,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(u.permissions) = 'array' THEN u.permissions ELSE '[]'::jsonb END))
                    AS grants,
                GREATEST(0, floor(extract(epoch FROM s.access_expires_at - CURRENT_TIMESTAMP)))::bigint AS expires_in
            FROM sessions s
            JOIN users u ON u.id = s.user_id
            JOIN organizations o ON o.id = s.organization_id
            WHERE s.access_token_hash = $1 AND s.access_expires_at > CURRENT_TIMESTAMP
              AND s.revoked_at IS NULL AND s.rotated_at IS NULL
              AND u.status = 'active' AND u.deleted_at IS NULL AND o.status = 'active' AND o.deleted_at IS NULL
            """, [hash(accessToken)])
        guard let row = rows.firstRow else { return nil }
        return Validated(
            organizationID: try row.decode(UUID.self, "organization_id"), userID: try row.decode(UUID.self, "user_id"),
            role: try row.decode(String.self, "role"), sessionID: try row.decode(UUID.self, "family_id"),
            expiresIn: try row.decode(Int64.self, "expires_in"), grants: try row.decode([String].self, "grants"))
    }

    /// Locks and returns the session a refresh token was issued with (inside a transaction).
    static func lockForRefresh(
        refreshToken: String, on connection: PostgresConnection
    ) async throws
        -> RefreshTarget?
    {
        let rows = try await connection.query(
            """
            SELECT s.id, s.family_id, s.organization_id, s.user_id, s.rotated_at IS NOT NULL AS rotated,
                (s.revoked_at IS NULL AND s.refresh_expires_at > CURRENT_TIMESTAMP
                 AND u.status = 'active' AND u.deleted_at IS NULL
                 AND o.status = 'active' AND o.deleted_at IS NULL) AS usable
            FROM sessions s
            JOIN users u ON u.id = s.user_id
            JOIN organizations o ON o.id = s.organization_id
            WHERE s.refresh_token_hash = $1
            FOR UPDATE OF s
            """, [hash(refreshToken)])
        guard let row = rows.firstRow else { return nil }
        return RefreshTarget(
            id: try row.decode(UUID.self, "id"), familyID: try row.decode(UUID.self, "family_id"),
            organizationID: try row.decode(UUID.self, "organization_id"), userID: try row.decode(UUID.self, "user_id"),
            rotated: try row.decode(Bool.self, "rotated"), usable: try row.decode(Bool.self, "usable"))
    }

    /// Marks a session's refresh token used (its access token stops working too).
    static func markRotated(id: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "UPDATE sessions SET rotated_at = CURRENT_TIMESTAMP, last_used_at = CURRENT_TIMESTAMP WHERE id = $1", [id])
    }

    /// Revokes every live token of a family; answers how many rows it revoked.
    @discardableResult
    static func revokeFamily(_ familyID: UUID, reason: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.execute(
            """
            UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP, revoked_reason = $2
            WHERE family_id = $1 AND revoked_at IS NULL
            """, [familyID, reason])
    }

    /// Revokes every live session of a user but `keeping`; answers how many sessions (families).
    @discardableResult
    static func revokeOthers(
        userID: UUID, keeping: UUID?, reason: String, on connection: PostgresConnection
    )
        async throws -> Int
    {
        let rows = try await connection.query(
            """
            UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP, revoked_reason = $3
            WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR family_id <> $2)
            RETURNING family_id
            """, [userID, keeping, reason])
        return try Set(rows.map { try $0.decode(UUID.self, "family_id") }).count
    }

    /// Whether `familyID` is a session of that user in that organization (revoked or not).
    static func belongs(
        familyID: UUID, userID: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT 1 FROM sessions WHERE family_id = $1 AND user_id = $2 AND organization_id = $3 LIMIT 1",
            [familyID, userID, organizationID])
        return !rows.isEmpty
    }

    /// The user's live sessions (one per family: its current row), most recently used first.
    static func list(
        userID: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> [Identity.Session]
    {
        let rows = try await connection.query(
            """
            SELECT s.family_id,
                to_char((SELECT min(f.created_at) FROM sessions f WHERE f.family_id = s.family_id)
                    AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
                to_char(s.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_used_at,
                to_char(s.refresh_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at,
                s.ip_address, s.user_agent
            FROM sessions s
            WHERE s.user_id = $1 AND s.organization_id = $2 AND s.revoked_at IS NULL AND s.rotated_at IS NULL
              AND s.refresh_expires_at > CURRENT_TIMESTAMP
            ORDER BY s.last_used_at DESC, s.created_at DESC
            """, [userID, organizationID])
        return try rows.map { row in
            Identity.Session(
                id: try row.decode(UUID.self, "family_id").lowercasedString,
                createdAt: try row.decode(String.self, "created_at"),
                lastUsedAt: try row.decode(String.self, "last_used_at"),
                expiresAt: try row.decode(String.self, "expires_at"),
                ipAddress: try row.decode(String?.self, "ip_address") ?? "",
                userAgent: try row.decode(String?.self, "user_agent") ?? "")
        }
    }
}
