import Contracts
import Foundation
import Postgres
import RPC

/// SQL for `users`.
enum UserStore {
    /// What a login needs to know about the user an email names.
    struct Credentials: Sendable {
        var id: UUID
        var organizationID: UUID
        var passwordHash: String
        /// The user is active and not deleted, and so is their organization.
        var canLogIn: Bool
        /// Whether a TOTP code is needed to log in.
        var twoFactorEnabled: Bool
        /// The sealed TOTP secret (set up, maybe not enabled yet).
        var twoFactorSecret: String?
        /// The last TOTP step used (codes at or before it are refused).
        var twoFactorLastStep: Int64?

        init(row: PostgresRow) throws {
            id = try row.decode(UUID.self, "id")
            organizationID = try row.decode(UUID.self, "organization_id")
            passwordHash = try row.decode(String.self, "password_hash")
            canLogIn = try row.decode(Bool.self, "can_log_in")
            twoFactorEnabled = try row.decode(Bool?.self, "two_factor_enabled") ?? false
            twoFactorSecret = try row.decode(String?.self, "two_factor_secret")
            twoFactorLastStep = try row.decode(Int64?.self, "two_factor_last_step")
        }
    }

    /// Inserts a user; the email is stored as given (callers lowercase it).
    ///
    /// - Throws: `ALREADY_EXISTS` "email is already registered" when the email is in use.
    static func create(
        organizationID: UUID, email: String, passwordHash: String, fullName: String, role: String,
        on connection: PostgresConnection
    ) async throws -> Identity.User {
        do {
            let rows = try await connection.query(
                """
                INSERT INTO users (organization_id, email, password_hash, full_name, role)
                VALUES ($1, $2, $3, $4, $5)
                RETURNING id, organization_id, email, full_name, role, status, email_verified, two_factor_enabled,
                    avatar_url, to_char(last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_login_at,
                    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(permissions) = 'array' THEN permissions ELSE '[]'::jsonb END)) AS grants
                """, [organizationID, email, passwordHash, fullName, role])
            guard let row = rows.firstRow else { throw RPCError(.internalError, "internal error") }
            return try user(from: row)
        } catch let error as PostgresError where error.code == .alreadyExists {
            throw RPCError(.alreadyExists, "email is already registered", cause: error)
        }
    }

    /// The credentials of the user with `email` (lowercased), or nil.
    static func credentials(email: String, on connection: PostgresConnection) async throws -> Credentials? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.organization_id, u.password_hash, u.two_factor_enabled, u.two_factor_secret,
                u.two_factor_last_step,
                (u.status = 'active' AND u.deleted_at IS NULL AND o.status = 'active' AND o.deleted_at IS NULL)
                    AS can_log_in
            FROM users u JOIN organizations o ON o.id = u.organization_id
            WHERE u.email = $1
            """, [email])
        guard let row = rows.firstRow else { return nil }
        return try Credentials(row: row)
    }

    /// The credentials of the user `id`, or nil.
    static func credentialsByID(_ id: UUID, on connection: PostgresConnection) async throws -> Credentials? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.organization_id, u.password_hash, u.two_factor_enabled, u.two_factor_secret,
                u.two_factor_last_step,
                (u.status = 'active' AND u.deleted_at IS NULL AND o.status = 'active' AND o.deleted_at IS NULL)
                    AS can_log_in
            FROM users u JOIN organizations o ON o.id = u.organization_id
            WHERE u.id = $1
            """, [id])
        guard let row = rows.firstRow else { return nil }
        return try Credentials(row: row)
    }

    /// The user `id` of organization `organizationID` (never another tenant's), or nil.
    static func find(
        id: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> Identity.User?
    {
        let rows = try await connection.query(
            """
            SELECT id, organization_id, email, full_name, role, status, email_verified, two_factor_enabled,
                avatar_url, to_char(last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_login_at,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(permissions) = 'array' THEN permissions ELSE '[]'::jsonb END)) AS grants
            FROM users WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
            """, [id, organizationID])
        return try rows.firstRow.map(user(from:))
    }

    /// The user `id` of organization `organizationID`, that organization and the user's own
    /// preferences (a JSON object as text), in one query (GET /me); nil when either is gone.
    static func findWithOrganization(
        id: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws -> (user: Identity.User, organization: Identity.Organization, preferences: String)? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.organization_id, u.email, u.full_name, u.role, u.status, u.email_verified,
                u.two_factor_enabled, u.avatar_url,
                to_char(u.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_login_at,
                to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(u.permissions) = 'array' THEN u.permissions ELSE '[]'::jsonb END)) AS grants,
                o.name AS organization_name, o.slug, o.plan, o.status AS organization_status, o.max_agents,
                o.max_conversations_per_month, o.max_users,
                to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS organization_created_at,
                CASE WHEN jsonb_typeof(u.preferences) = 'object' THEN u.preferences ELSE '{}'::jsonb END
                    AS preferences
            FROM users u JOIN organizations o ON o.id = u.organization_id AND o.deleted_at IS NULL
            WHERE u.id = $1 AND u.organization_id = $2 AND u.deleted_at IS NULL
            """, [id, organizationID])
        guard let row = rows.firstRow else { return nil }
        let organization = Identity.Organization(
            id: organizationID.lowercasedString,
            name: try row.decode(String.self, "organization_name"),
            slug: try row.decode(String.self, "slug"),
            plan: try row.decode(String.self, "plan"),
            status: try row.decode(String.self, "organization_status"),
            maxAgents: try row.decode(Int32?.self, "max_agents") ?? 0,
            maxConversationsPerMonth: try row.decode(Int32?.self, "max_conversations_per_month") ?? 0,
            maxUsers: try row.decode(Int32?.self, "max_users") ?? 0,
            createdAt: try row.decode(String?.self, "organization_created_at") ?? "")
        return (try user(from: row), organization, try row.decode(PostgresJSON.self, "preferences").text)
    }

    /// The email and password hash of the user `id` of organization `organizationID`.
    static func account(
        id: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> (email: String, passwordHash: String)?
    {
        let rows = try await connection.query(
            """
            SELECT email, password_hash FROM users
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
            """, [id, organizationID])
        guard let row = rows.firstRow else { return nil }
        return (try row.decode(String.self, "email"), try row.decode(String.self, "password_hash"))
    }

    /// Stores a new password hash; `verifyEmail` also marks the email verified (an accepted
    /// invitation proves the address).
    static func setPasswordHash(
        id: UUID, passwordHash: String, verifyEmail: Bool = false, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            "UPDATE users SET password_hash = $2, email_verified = (email_verified OR $3) WHERE id = $1",
            [id, passwordHash, verifyEmail])
    }

    /// The password hash of an invited user who has not chosen a password yet: never verifies.
    static let unusablePasswordHash = "!"

    /// Changes role, status and/or grants (nil: unchanged) of a user of the organization who is not
    /// deleted and not a super_admin; nil when there is no such user.
    static func update(
        id: UUID, organizationID: UUID, role: String?, status: String?, grants: [String]?,
        on connection: PostgresConnection
    ) async throws -> Identity.User? {
        let grantsJSON = try grants.map { try PostgresJSON(encoding: $0) }
        let rows = try await connection.query(
            """
            UPDATE users SET role = COALESCE($3, role), status = COALESCE($4, status),
                permissions = COALESCE($5, permissions)
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL AND role <> 'super_admin'
            RETURNING id, organization_id, email, full_name, role, status, email_verified, two_factor_enabled,
                avatar_url, to_char(last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_login_at,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(permissions) = 'array' THEN permissions ELSE '[]'::jsonb END)) AS grants
            """, [id, organizationID, role, status, grantsJSON])
        return try rows.firstRow.map(user(from:))
    }

    /// Sets full name and/or avatar URL (nil: unchanged; an empty URL removes it) and merges
    /// `preferences` (a JSON object; nil: unchanged) into the stored ones: each member
    /// replaces the stored member of that name, a member whose value is null removes it (a
    /// shallow merge). Answers the user, the preferences afterwards as JSON text and that
    /// text's size in bytes; nil when there is no such user.
    static func updateProfile(
        id: UUID, organizationID: UUID, fullName: String?, avatarURL: String?, preferences: PostgresJSON?,
        on connection: PostgresConnection
    ) async throws -> (user: Identity.User, preferences: String, preferencesBytes: Int)? {
        let rows = try await connection.query(
            """
            UPDATE users SET full_name = COALESCE($3, full_name),
                avatar_url = CASE WHEN $4::text IS NULL THEN avatar_url ELSE NULLIF($4, '') END,
                preferences = CASE WHEN $5::jsonb IS NULL THEN preferences ELSE
                    (CASE WHEN jsonb_typeof(preferences) = 'object' THEN preferences ELSE '{}'::jsonb END || $5::jsonb)
                    - ARRAY(SELECT key FROM jsonb_each($5::jsonb) WHERE value = 'null'::jsonb) END
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
            RETURNING id, organization_id, email, full_name, role, status, email_verified, two_factor_enabled,
                avatar_url, to_char(last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_login_at,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(permissions) = 'array' THEN permissions ELSE '[]'::jsonb END)) AS grants,
                CASE WHEN jsonb_typeof(preferences) = 'object' THEN preferences ELSE '{}'::jsonb END AS preferences,
                octet_length(preferences::text) AS preferences_bytes
            """, [id, organizationID, fullName, avatarURL, preferences])
        guard let row = rows.firstRow else { return nil }
        return (
            try user(from: row), try row.decode(PostgresJSON.self, "preferences").text,
            Int(try row.decode(Int32?.self, "preferences_bytes") ?? 0)
        )
    }

    /// Locks the user `id` of the organization (not deleted, not a super_admin) until the
    /// transaction ends and answers their role; nil when there is no such user.
    static func lockRole(id: UUID, organizationID: UUID, on connection: PostgresConnection) async throws -> String? {
        let rows = try await connection.query(
            """
            SELECT role FROM users
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL AND role <> 'super_admin'
            FOR UPDATE
            """, [id, organizationID])
        return try rows.firstRow?.decode(String.self, "role")
    }

    /// The user's per-user grants (the `permissions` array; none when it is not one).
    static func grants(id: UUID, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            SELECT CASE WHEN jsonb_typeof(permissions) = 'array'
                        THEN ARRAY(SELECT jsonb_array_elements_text(permissions)) ELSE '{}'::text[] END AS grants
            FROM users WHERE id = $1
            """, [id]
        ).firstRow?.decode([String].self, "grants") ?? []
    }

    /// Soft-deletes (deleted_at) a user of the organization who is not a super_admin.
    static func softDelete(id: UUID, organizationID: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE users SET deleted_at = CURRENT_TIMESTAMP
            WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL AND role <> 'super_admin'
            """, [id, organizationID]) == 1
    }

    /// The organization's users (not deleted), oldest first.
    static func list(organizationID: UUID, on connection: PostgresConnection) async throws -> [Identity.User] {
        let rows = try await connection.query(
            """
            SELECT id, organization_id, email, full_name, role, status, email_verified, two_factor_enabled,
                avatar_url, to_char(last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_login_at,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
                ARRAY(SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(permissions) = 'array' THEN permissions ELSE '[]'::jsonb END)) AS grants
            FROM users WHERE organization_id = $1 AND deleted_at IS NULL
            ORDER BY created_at, email
            """, [organizationID])
        return try rows.map(user(from:))
    }

    /// Records a successful login, and the password's new hash when its parameters were raised.
    static func recordLogin(id: UUID, newPasswordHash: String?, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            UPDATE users SET last_login_at = CURRENT_TIMESTAMP, password_hash = COALESCE($2, password_hash)
            WHERE id = $1
            """, [id, newPasswordHash])
    }

    private static func user(from row: PostgresRow) throws -> Identity.User {
        Identity.User(
            id: try row.decode(UUID.self, "id").lowercasedString,
            organizationId: try row.decode(UUID.self, "organization_id").lowercasedString,
            email: try row.decode(String.self, "email"),
            fullName: try row.decode(String.self, "full_name"),
            role: try row.decode(String.self, "role"),
            status: try row.decode(String.self, "status"),
            emailVerified: try row.decode(Bool?.self, "email_verified") ?? false,
            twoFactorEnabled: try row.decode(Bool?.self, "two_factor_enabled") ?? false,
            avatarUrl: try row.decode(String?.self, "avatar_url") ?? "",
            lastLoginAt: try row.decode(String?.self, "last_login_at") ?? "",
            createdAt: try row.decode(String?.self, "created_at") ?? "",
            grants: try row.decode([String].self, "grants"))
    }
}
