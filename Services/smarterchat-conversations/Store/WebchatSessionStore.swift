import Foundation
import Postgres

/// SQL for `webchat_sessions`: a visitor's session, found by the SHA-256 of its token.
enum WebchatSessionStore {
    struct Session: Sendable {
        var id: UUID
        var organizationID: UUID
        var channelID: UUID
        var visitorName: String?
    }

    static func insert(
        organizationID: UUID, channelID: UUID, tokenHash: Data, visitorName: String?, origin: String?,
        lifetime: Duration, on connection: PostgresConnection
    ) async throws -> (id: UUID, expiresAt: String) {
        let rows = try await connection.query(
            """
            INSERT INTO webchat_sessions (organization_id, channel_id, token_hash, visitor_name, origin, expires_at)
            VALUES ($1, $2, $3, $4, $5, CURRENT_TIMESTAMP + make_interval(secs => $6))
            RETURNING id, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at
            """,
            [organizationID, channelID, tokenHash, visitorName, origin, Double(lifetime.components.seconds)])
        let row = rows.firstRow!
        return (try row.decode(UUID.self, "id"), try row.decode(String.self, "expires_at"))
    }

    /// The live session of `tokenHash` on the channel; nil when unknown or expired. Each use
    /// extends it (a visitor who keeps chatting keeps the session).
    static func find(
        tokenHash: Data, channelID: UUID, lifetime: Duration, on connection: PostgresConnection
    ) async throws -> Session? {
        let rows = try await connection.query(
            """
            UPDATE webchat_sessions
            SET last_seen_at = CURRENT_TIMESTAMP,
                expires_at = GREATEST(expires_at, CURRENT_TIMESTAMP + make_interval(secs => $3))
            WHERE token_hash = $1 AND channel_id = $2 AND expires_at > CURRENT_TIMESTAMP
            RETURNING id, organization_id, channel_id, visitor_name
            """, [tokenHash, channelID, Double(lifetime.components.seconds)])
        return try rows.firstRow.map { row in
            Session(
                id: try row.decode(UUID.self, "id"), organizationID: try row.decode(UUID.self, "organization_id"),
                channelID: try row.decode(UUID.self, "channel_id"),
                visitorName: try row.decode(String?.self, "visitor_name"))
        }
    }

    /// Sessions expired more than a day ago.
    static func purgeExpired(on connection: PostgresConnection) async throws -> Int {
        try await connection.execute(
            "DELETE FROM webchat_sessions WHERE expires_at < CURRENT_TIMESTAMP - INTERVAL '1 day'")
    }
}
