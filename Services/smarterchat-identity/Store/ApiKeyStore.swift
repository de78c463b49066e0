import Contracts
import Cryptography
import Foundation
import Postgres
import RPC

/// SQL for `api_keys`: organization-scoped integration keys, kept only as SHA-256 hashes.
enum ApiKeyStore {
    /// What a live key stands for when presented to the gateway.
    struct Validated: Sendable {
        var keyID: UUID
        var organizationID: UUID
        var userID: UUID
        /// The creator's role now (a key never does more than its creator may).
        var role: String
        var scopes: [String]
        /// Seconds until the key expires (capped at an hour when it never does).
        var expiresIn: Int64
        /// The creator's grants on top of the role (users.permissions).
        var grants: [String]
    }

    /// The outcome of presenting a key.
    enum Lookup: Sendable {
        case valid(Validated)
        /// A key that exists but was revoked (audited as a use of a revoked key).
        case revoked(keyID: UUID, organizationID: UUID)
        /// Unknown, expired, or its creator or organization no longer active.
        case refused
    }

    /// A new key `sck_<8 hex>_<43 base64url>` and the prefix lists show (`sck_<8 hex>`).
    static func generate() -> (key: String, prefix: String) {
        let prefix = "sck_" + Hex.encode(SecureRandom.bytes(count: 4))
        return (prefix + "_" + SecureRandom.token(), prefix)
    }

    /// Inserts a key; only `keyHash` (SHA-256 hex of the whole key) is stored.
    static func create(
        organizationID: UUID, createdBy: UUID, role: String, name: String, prefix: String, keyHash: String,
        scopes: [String], expiresAt: Date?, on connection: PostgresConnection
    ) async throws -> Identity.ApiKey {
        let rows = try await connection.query(
            """
            INSERT INTO api_keys (organization_id, created_by_user_id, role, name, prefix, key_hash, scopes, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            RETURNING
                id, name, prefix, scopes, created_by_user_id,
                to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at,
                to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_used_at,
                to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS revoked_at,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
            """, [organizationID, createdBy, role, name, prefix, keyHash, scopes, expiresAt])
        guard let row = rows.firstRow else { throw RPCError(.internalError, "internal error") }
        return try apiKey(from: row)
    }

    /// The organization's keys, newest first.
    static func list(organizationID: UUID, on connection: PostgresConnection) async throws -> [Identity.ApiKey] {
        let rows = try await connection.query(
            """
            SELECT
                id, name, prefix, scopes, created_by_user_id,
                to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at,
                to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_used_at,
                to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS revoked_at,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
            FROM api_keys WHERE organization_id = $1 ORDER BY created_at DESC, id
            """,
            [organizationID])
        return try rows.map(apiKey(from:))
    }

    /// Revokes the key `id` of `organizationID`: nil when there is no such key there, else
    /// whether this call revoked it (false when it already was).
    static func revoke(id: UUID, organizationID: UUID, on connection: PostgresConnection) async throws -> Bool? {
        let rows = try await connection.query(
            """
            UPDATE api_keys SET revoked_at = COALESCE(revoked_at, CURRENT_TIMESTAMP)
            WHERE id = $1 AND organization_id = $2
            RETURNING revoked_at = CURRENT_TIMESTAMP AS newly
            """, [id, organizationID])
        guard let row = rows.firstRow else { return nil }
        return try row.decode(Bool.self, "newly")
    }

    /// Looks a presented key up and, when it is live, records its use.
    static func validate(key: String, on connection: PostgresConnection) async throws -> Lookup {
        let rows = try await connection.query(
            """
            SELECT k.id, k.organization_id, k.created_by_user_id, COALESCE(u.role, '') AS role, k.scopes,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(u.permissions) = 'array' THEN u.permissions ELSE '[]'::jsonb END))
                    AS grants,
                k.revoked_at IS NOT NULL AS revoked,
                (k.expires_at IS NULL OR k.expires_at > CURRENT_TIMESTAMP)
                    AND u.status = 'active' AND u.deleted_at IS NULL
                    AND o.status = 'active' AND o.deleted_at IS NULL AS usable,
                LEAST(3600, GREATEST(0, floor(extract(epoch FROM
                    COALESCE(k.expires_at, CURRENT_TIMESTAMP + interval '1 hour') - CURRENT_TIMESTAMP))))::bigint
                    AS expires_in
            FROM api_keys k
            JOIN organizations o ON o.id = k.organization_id
            LEFT JOIN users u ON u.id = k.created_by_user_id
            WHERE k.key_hash = $1
            """, [SessionStore.hash(key)])
        guard let row = rows.firstRow else { return .refused }
        let keyID = try row.decode(UUID.self, "id")
        let organizationID = try row.decode(UUID.self, "organization_id")
        if try row.decode(Bool.self, "revoked") { return .revoked(keyID: keyID, organizationID: organizationID) }
        guard try row.decode(Bool?.self, "usable") == true,
            let userID = try row.decode(UUID?.self, "created_by_user_id")
        else { return .refused }
        try await connection.execute("UPDATE api_keys SET last_used_at = CURRENT_TIMESTAMP WHERE id = $1", [keyID])
        return .valid(
            Validated(
                keyID: keyID, organizationID: organizationID, userID: userID, role: try row.decode(String.self, "role"),
                scopes: try row.decode([String].self, "scopes"), expiresIn: try row.decode(Int64.self, "expires_in"),
                grants: try row.decode([String].self, "grants")))
    }

    /// Audits a use of the revoked key `keyID`, at most once a minute per key: an integration
    /// still sending a revoked key must not turn each of its requests into an audit row.
    static func auditRevokedUse(keyID: UUID, organizationID: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO audit_log (organization_id, event, details)
            SELECT $1, $2, jsonb_build_object('api_key_id', $3::text)
            WHERE NOT EXISTS (
                SELECT 1 FROM audit_log WHERE event = $2 AND details->>'api_key_id' = $3::text
                  AND created_at > CURRENT_TIMESTAMP - interval '1 minute')
            """,
            [organizationID, AuditLog.Event.revokedApiKeyUsed.rawValue, keyID.lowercasedString])
    }

    static func apiKey(from row: PostgresRow) throws -> Identity.ApiKey {
        Identity.ApiKey(
            id: try row.decode(UUID.self, "id").lowercasedString, name: try row.decode(String.self, "name"),
            prefix: try row.decode(String.self, "prefix"), scopes: try row.decode([String].self, "scopes"),
            expiresAt: try row.decode(String?.self, "expires_at") ?? "",
            lastUsedAt: try row.decode(String?.self, "last_used_at") ?? "",
            revokedAt: try row.decode(String?.self, "revoked_at") ?? "",
            createdAt: try row.decode(String?.self, "created_at") ?? "",
            createdByUserId: try row.decode(UUID?.self, "created_by_user_id")?.lowercasedString ?? "")
    }
}
