import Contracts
import Foundation
import Postgres

/// SQL for `audit_log`: security events, written beside the change they describe.
enum AuditLog {
    /// The events identity records.
    enum Event: String, Sendable {
        case signedUp = "organization.signed_up"
        case loginSucceeded = "login.succeeded"
        case loginFailed = "login.failed"
        case loginLocked = "login.locked"
        case loginRefused = "login.refused_inactive"
        case refreshReused = "session.refresh_reused"
        case sessionRevoked = "session.revoked"
        case passwordChanged = "password.changed"
        case passwordChangeFailed = "password.change_failed"
        case userInvited = "user.invited"
        case invitationAccepted = "user.invitation_accepted"
        case userUpdated = "user.updated"
        case userDeleted = "user.deleted"
        case organizationUpdated = "organization.updated"
        case apiKeyCreated = "api_key.created"
        case apiKeyRevoked = "api_key.revoked"
        case revokedApiKeyUsed = "api_key.revoked_used"
        case organizationSettingsUpdated = "organization.settings_updated"
    }

    /// Appends one event. `details` must hold nothing secret (never a password or token).
    static func record(
        _ event: Event, organizationID: UUID?, userID: UUID?, client: Identity.ClientInfo?,
        details: [String: String] = [:], on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO audit_log (organization_id, user_id, event, ip_address, user_agent, details)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            [
                organizationID, userID, event.rawValue, client.map { String($0.ipAddress.prefix(64)) },
                client.map { String($0.userAgent.prefix(500)) }, try PostgresJSON(encoding: details),
            ])
    }
}
