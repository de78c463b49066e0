import Postgres

/// Deletes what the login system no longer needs, hourly (see `identityService`).
///
/// * `login_attempts` older than a day: the lockout looks back 15 minutes; a day is kept
///   for investigating an attack.
/// * `sessions` rows whose refresh token expired more than a day ago, or that were revoked
///   more than 7 days ago. Rotated rows of a live session stay: they are what recognises
///   a reused refresh token.
///
/// `audit_log` is kept.
enum IdentityRetention {
    /// Answers how many login attempts and session rows it deleted.
    static func purge(on connection: PostgresConnection) async throws -> (attempts: Int, sessions: Int) {
        let attempts = try await connection.execute(
            "DELETE FROM login_attempts WHERE attempted_at < CURRENT_TIMESTAMP - INTERVAL '1 day'")
        let sessions = try await connection.execute(
            """
            DELETE FROM sessions
            WHERE refresh_expires_at < CURRENT_TIMESTAMP - INTERVAL '1 day'
               OR revoked_at < CURRENT_TIMESTAMP - INTERVAL '7 days'
            """)
        return (attempts, sessions)
    }
}
