import Foundation
import Postgres

/// SQL for `login_attempts`: the brute-force window.
///
/// An attempt is admitted and recorded as a failure in one short transaction, before the
/// password is verified (``admit(email:address:rule:on:)``), and cleared once it is proven
/// (``markSucceeded(_:on:)``, ``forget(_:on:)``). Checking and recording in separate steps let
/// concurrent attempts all pass the check while their scrypt ran; recording first makes each
/// admitted attempt count before the next one is checked.
enum LoginAttemptStore {
    /// The lockout rule: `failures` failed logins for one email or one address within
    /// `window` seconds refuse further attempts until the oldest of them leaves the window.
    struct Rule: Sendable {
        var failures: Int
        var window: Int64
    }

    /// What ``admit(email:address:rule:on:)`` decided.
    enum Admission: Sendable, Equatable {
        /// Refused: seconds until `email` and `address` may try again (not recorded).
        case locked(retryAfter: Int64)
        /// Let through and recorded as a failure until proven (the `login_attempts` id).
        case admitted(attemptID: Int64)
    }

    /// Admits an attempt for `email` from `address` unless either is locked, and records it as
    /// failed, under transaction-scoped advisory locks on the email and on the address so that
    /// concurrent attempts are counted one after another. `connection` must be in a
    /// transaction (the locks last until it ends; keep it short, never around scrypt).
    static func admit(
        email: String, address: String, rule: Rule, on connection: PostgresConnection
    ) async throws -> Admission {
        let email = String(email.prefix(255)), address = String(address.prefix(64))
        // Always the email first, then the address: one order for every caller, no deadlock.
        try await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('identity.login_attempts.email:' || $1::text, 0))", [email])
        if !address.isEmpty {
            try await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('identity.login_attempts.address:' || $1::text, 0))",
                [address])
        }
        let wait = try await retryAfter(email: email, address: address, rule: rule, on: connection)
        if wait > 0 { return .locked(retryAfter: wait) }
        let rows = try await connection.query(
            "INSERT INTO login_attempts (email, ip_address, succeeded) VALUES ($1, $2, false) RETURNING id",
            [email, address])
        return .admitted(attemptID: try rows.firstRow?.decode(Int64.self, "id") ?? 0)
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

    /// Marks an admitted attempt as a successful login: it no longer counts as a failure.
    static func markSucceeded(_ attemptID: Int64, on connection: PostgresConnection) async throws {
        try await connection.execute("UPDATE login_attempts SET succeeded = true WHERE id = $1", [attemptID])
    }

    /// Drops an admitted attempt whose password was right but that opened no session (an
    /// inactive account, a second factor still to come): it is neither a failure nor a login.
    static func forget(_ attemptID: Int64, on connection: PostgresConnection) async throws {
        try await connection.execute("DELETE FROM login_attempts WHERE id = $1", [attemptID])
    }
}
