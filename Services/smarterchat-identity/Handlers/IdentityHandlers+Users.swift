import Access
import Contracts
import Cryptography
import Foundation
import Postgres
import RPC

/// ChangePassword, UpdateMe, ListUsers: the caller's own account and their organization's users.
extension IdentityHandlers {
    /// Checks the current password (a wrong one counts toward the login lockout), stores the
    /// new one and revokes every other session of the user.
    func changePassword(
        _ request: Identity.ChangePasswordRequest, _ context: RPCContext
    ) async throws
        -> Identity.ChangePasswordResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileWrite)
        try SignUpInput.checkPassword(request.newPassword)
        guard
            let account = try await database.withConnection({ connection in
                try await UserStore.account(id: caller.userID, organizationID: caller.organizationID, on: connection)
            })
        else { throw RPCError(.notFound, "user not found") }
        let address = request.client?.ipAddress ?? ""
        let lockout = self.lockout
        // Admitted and recorded as failed before scrypt, as a login is, so that concurrent
        // wrong guesses cannot pass the lockout check together.
        let admission = try await database.withTransaction { connection in
            try await LoginAttemptStore.admit(email: account.email, address: address, rule: lockout, on: connection)
        }
        guard case .admitted(let attemptID) = admission else {
            throw RPCError(.resourceExhausted, "too many failed attempts; try again later")
        }

        let hasher = self.hasher, current = request.currentPassword, new = request.newPassword
        let stored = account.passwordHash
        let matches =
            current.utf8.count <= SignUpInput.maximumPasswordLength
            ? (try? await passwordWorkers.run { try hasher.verify(current, against: stored) }) == true : false
        guard matches else {
            try await database.withConnection { connection in
                try await AuditLog.record(
                    .passwordChangeFailed, organizationID: caller.organizationID, userID: caller.userID,
                    client: request.client, on: connection)
            }
            throw RPCError(.invalidArgument, "current_password is not correct")
        }
        // The right current password is not a failure (nor a login).
        try await database.withConnection { connection in
            try await LoginAttemptStore.forget(attemptID, on: connection)
        }
        let newHash = try await passwordWorkers.run { try hasher.hash(new) }
        let keep = UUID(canonicalText: request.currentSessionId)
        let revoked = try await database.withTransaction { connection in
            try await UserStore.setPasswordHash(id: caller.userID, passwordHash: newHash, on: connection)
            let revoked = try await SessionStore.revokeOthers(
                userID: caller.userID, keeping: keep, reason: "password_changed", on: connection)
            try await AuditLog.record(
                .passwordChanged, organizationID: caller.organizationID, userID: caller.userID,
                client: request.client, details: ["revoked_sessions": "\(revoked)"], on: connection)
            return revoked
        }
        return Identity.ChangePasswordResponse(revokedSessions: Int64(revoked))
    }

    /// Edits the caller's full name and avatar URL (https, at most 500 characters) and merges
    /// a JSON object into their preferences (``UserStore/updateProfile``); the patch and the
    /// merged preferences must each fit in ``maximumSettingsBytes``.
    func updateMe(_ request: Identity.UpdateMeRequest, _ context: RPCContext) async throws -> Identity.UpdateMeResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileWrite)
        let fullName = request.fullName?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let fullName, fullName.isEmpty || fullName.count > 255 {
            throw RPCError(.invalidArgument, "full_name must have 1 to 255 characters")
        }
        if let avatar = request.avatarUrl, !avatar.isEmpty,
            avatar.count > 500 || !avatar.hasPrefix("https://") || avatar.contains(where: \.isWhitespace)
        {
            throw RPCError(.invalidArgument, "avatar_url must be an https:// URL of at most 500 characters")
        }
        let preferences = try request.preferencesJson.map { try Self.jsonObject($0, field: "preferences") }
        return try await database.withTransaction { connection in
            guard
                let updated = try await UserStore.updateProfile(
                    id: caller.userID, organizationID: caller.organizationID, fullName: fullName,
                    avatarURL: request.avatarUrl, preferences: preferences, on: connection)
            else { throw RPCError(.notFound, "user not found") }
            // Thrown inside the transaction, so the merge is rolled back. Checked only when
            // the preferences were patched: an edit that leaves them alone is never refused for
            // their size (rows written before this limit, or by hand, may exceed it).
            let limit = Self.maximumSettingsBytes
            guard preferences == nil || updated.preferencesBytes <= limit else {
                throw RPCError(.invalidArgument, "preferences must be at most \(limit) bytes of JSON once merged")
            }
            return Identity.UpdateMeResponse(user: updated.user, preferencesJson: updated.preferences)
        }
    }

    /// The users of the caller's organization, never another's.
    func listUsers(_ context: RPCContext) async throws -> Identity.ListUsersResponse {
        let caller = try AuthenticatedUser(context)
        try caller.require(.usersRead)
        let users = try await database.withConnection { connection in
            try await UserStore.list(organizationID: caller.organizationID, on: connection)
        }
        return Identity.ListUsersResponse(users: users)
    }
}
