import Foundation
import Postgres

/// SQL for `login_attempts`: the brute-force window.
enum LoginAttemptStore {
    /// The lockout rule: `failures` failed logins for one email or one address within
    /// `window` seconds refuse further attempts until the oldest of them leaves the window.
    struct Rule: Sendable {
        var failures: Int
        var window: Int64
    }

    /// Seconds until `email` and `address` may try again; 0 when neither is locked.
    ///
    /// Refused attempts are not recorded, so a lockout ends `window` seconds after the
    /// oldest of the failures that caused it.
    static func retryAfter(
        email: String, address: String, rule: Rule, on connection: PostgresConnection
    )
        async throws -> Int64
    {
        let rows = try await connection.query(
            """
            WITH by_email AS (
                SELECT attempted_at FROM login_attempts
                WHERE email = $1 AND NOT succeeded AND attempted_at > CURRENT_TIMESTAMP - $3 * INTERVAL '1 second'
                ORDER BY attempted_at DESC LIMIT $4
            ), by_address AS (
                SELECT attempted_at FROM login_attempts
                WHERE $2 <> '' AND ip_address = $2 AND NOT succeeded
                  AND attempted_at > CURRENT_TIMESTAMP - $3 * INTERVAL '1 second'
                ORDER BY attempted_at DESC LIMIT $4
            )
            SELECT GREATEST(
                (SELECT CASE WHEN count(*) >= $4
                    THEN ceil(extract(epoch FROM min(attempted_at) + $3 * INTERVAL '1 second' - CURRENT_TIMESTAMP))
                    ELSE 0 END FROM by_email),
                (SELECT CASE WHEN count(*) >= $4
                    THEN ceil(extract(epoch FROM min(attempted_at) + $3 * INTERVAL '1 second' - CURRENT_TIMESTAMP))
                    ELSE 0 END FROM by_address))::bigint AS retry_after
            """, [email, address, rule.window, rule.failures])
        let wait = try rows.firstRow?.decode(Int64.self, "retry_after") ?? 0
        return wait > 0 ? wait : 0
    }

    /// Records one attempt that was checked (refused attempts are not recorded).
    static func record(
        email: String, address: String, succeeded: Bool, on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            "INSERT INTO login_attempts (email, ip_address, succeeded) VALUES ($1, $2, $3)",
            [String(email.prefix(255)), String(address.prefix(64)), succeeded])
    }
}
