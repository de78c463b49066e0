import Foundation
import Postgres

/// SQL for the TOTP columns of `users` (two_factor_enabled, two_factor_secret sealed,
/// two_factor_last_step).
enum TwoFactorStore {
    /// Stores a new sealed secret, not yet enabled; false when 2FA is already on.
    static func setPendingSecret(
        userID: UUID, sealed: String, on connection: PostgresConnection
    ) async throws
        -> Bool
    {
        try await connection.execute(
            """
            UPDATE users SET two_factor_secret = $2, two_factor_last_step = NULL
            WHERE id = $1 AND NOT COALESCE(two_factor_enabled, FALSE)
            """, [userID, sealed]) == 1
    }

    /// Records `step` as used when it is newer than the last one; false when it is not (a
    /// replay, even one racing this call).
    static func useStep(userID: UUID, step: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE users SET two_factor_last_step = $2
            WHERE id = $1 AND (two_factor_last_step IS NULL OR two_factor_last_step < $2)
            """, [userID, step]) == 1
    }

    /// Turns 2FA on or off; off also forgets the secret.
    static func setEnabled(_ enabled: Bool, userID: UUID, on connection: PostgresConnection) async throws {
        if enabled {
            try await connection.execute("UPDATE users SET two_factor_enabled = TRUE WHERE id = $1", [userID])
        } else {
            try await connection.execute(
                """
                UPDATE users SET two_factor_enabled = FALSE, two_factor_secret = NULL, two_factor_last_step = NULL
                WHERE id = $1
                """, [userID])
        }
    }
}
