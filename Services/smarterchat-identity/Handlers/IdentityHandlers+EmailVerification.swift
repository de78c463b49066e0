import Access
import Contracts
import Foundation
import Postgres
import RPC
import ServiceKit

/// RequestEmailVerification, VerifyEmail: proving a user's email with a single-use token
/// handed out through the event `user.email_verification_requested` (no mail server: the
/// organization's webhook subscriber sends it).
extension IdentityHandlers {
    /// How long a verification token works.
    static let emailVerificationLifetime: Int64 = 24 * 3600

    func requestEmailVerification(_ context: RPCContext) async throws -> Identity.RequestEmailVerificationResponse {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileWrite)
        return try await database.withTransaction { connection in
            guard
                let user = try await UserStore.find(
                    id: caller.userID, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "user not found") }
            guard !user.emailVerified else { throw RPCError(.failedPrecondition, "the email is already verified") }
            let expiresAt = try await Self.issueEmailVerification(
                userID: caller.userID, organizationID: caller.organizationID, email: user.email, on: connection)
            return Identity.RequestEmailVerificationResponse(expiresAt: expiresAt)
        }
    }

    func verifyEmail(_ request: Identity.VerifyEmailRequest) async throws -> Identity.VerifyEmailResponse {
        guard !request.token.isEmpty, request.token.utf8.count <= 256 else {
            throw RPCError(.invalidArgument, "token is required")
        }
        return try await database.withTransaction { connection in
            guard
                let userID = try await UserTokenStore.consume(
                    request.token, purpose: .emailVerification, on: connection)
            else { throw RPCError(.notFound, "invalid, used or expired verification token") }
            let rows = try await connection.query(
                """
                UPDATE users SET email_verified = TRUE
                WHERE id = $1 AND deleted_at IS NULL
                RETURNING organization_id, email
                """, [userID])
            guard let row = rows.firstRow else {
                throw RPCError(.notFound, "invalid, used or expired verification token")
            }
            let email = try row.decode(String.self, "email")
            let organizationID = try row.decode(UUID.self, "organization_id")
            try await Outbox.append(
                Outbox.Event(
                    type: "user.email_verified", organizationID: organizationID, aggregateType: "user",
                    aggregateID: userID, payload: ["user_id": userID.lowercasedString, "email": email]),
                on: connection)
            return Identity.VerifyEmailResponse(userId: userID.lowercasedString, email: email)
        }
    }

    /// Ends the user's earlier verification tokens, issues a new one and writes the event that
    /// carries it; answers when it expires (RFC 3339).
    static func issueEmailVerification(
        userID: UUID, organizationID: UUID, email: String, on connection: PostgresConnection
    ) async throws -> String {
        try await connection.execute(
            """
            UPDATE user_tokens SET used_at = CURRENT_TIMESTAMP
            WHERE user_id = $1 AND purpose = 'email_verification' AND used_at IS NULL
            """, [userID])
        let token = try await UserTokenStore.issue(
            userID: userID, purpose: .emailVerification, lifetime: emailVerificationLifetime, on: connection)
        let expiresAt = ISO8601DateFormatter().string(
            from: Date().addingTimeInterval(TimeInterval(emailVerificationLifetime)))
        try await Outbox.append(
            Outbox.Event(
                type: "user.email_verification_requested", organizationID: organizationID, aggregateType: "user",
                aggregateID: userID,
                payload: [
                    "user_id": userID.lowercasedString, "email": email, "token": token, "expires_at": expiresAt,
                ]),
            on: connection)
        return expiresAt
    }

    /// Writes `user.created` for a new user of `organizationID`.
    static func recordUserCreated(
        _ user: Identity.User, organizationID: UUID, on connection: PostgresConnection
    )
        async throws
    {
        guard let userID = UUID(canonicalText: user.id) else { return }
        try await Outbox.append(
            Outbox.Event(
                type: "user.created", organizationID: organizationID, aggregateType: "user", aggregateID: userID,
                payload: ["user_id": user.id, "email": user.email, "full_name": user.fullName, "role": user.role]),
            on: connection)
    }
}
