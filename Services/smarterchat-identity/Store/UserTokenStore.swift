import Cryptography
import Foundation
import Postgres

/// SQL for `user_tokens`: single-use tokens (invitations), stored as SHA-256 only.
enum UserTokenStore {
    /// What a token is for.
    enum Purpose: String, Sendable {
        case invitation
        case emailVerification = "email_verification"
    }

    /// Issues a token for `userID` valid `lifetime` seconds; answers the token (shown once).
    static func issue(
        userID: UUID, purpose: Purpose, lifetime: Int64, on connection: PostgresConnection
    )
        async throws -> String
    {
        let token = SecureRandom.token()
        try await connection.execute(
            """
            INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at)
            VALUES ($1, $2, $3, CURRENT_TIMESTAMP + $4 * INTERVAL '1 second')
            """, [userID, purpose.rawValue, SessionStore.hash(token), lifetime])
        return token
    }

    /// Marks a live, unused token used and answers its user; nil when there is none.
    static func consume(_ token: String, purpose: Purpose, on connection: PostgresConnection) async throws -> UUID? {
        let rows = try await connection.query(
            """
            UPDATE user_tokens SET used_at = CURRENT_TIMESTAMP
            WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > CURRENT_TIMESTAMP
            RETURNING user_id
            """, [SessionStore.hash(token), purpose.rawValue])
        return try rows.firstRow?.decode(UUID.self, "user_id")
    }
}
