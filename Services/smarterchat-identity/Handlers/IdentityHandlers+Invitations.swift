import Access
import Contracts
import Cryptography
import Foundation
import Postgres
import RPC

/// InviteUser, AcceptInvitation: adding users to an organization within its plan.
extension IdentityHandlers {
    /// How long an invitation stays valid: 7 days.
    static let invitationLifetime: Int64 = 7 * 24 * 3600
    /// The roles an organization's admin may give (super_admin is the platform's).
    static let invitableRoles: Set<String> = [Role.admin.rawValue, Role.manager.rawValue, Role.consultant.rawValue]

    /// Creates the user (no password yet) and a single-use invitation token, or answers
    /// `RESOURCE_EXHAUSTED` "plan limit reached: max_users is N" when the organization is full;
    /// a role above the caller's own is PERMISSION_DENIED (``RoleCeiling``).
    /// A `max_users` of 0 (or NULL) is no limit, as 0 is for every plan limit.
    func inviteUser(
        _ request: Identity.InviteUserRequest, _ context: RPCContext
    ) async throws
        -> Identity.InviteUserResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.usersWrite)
        let email = SignUpInput.normalizedEmail(request.email)
        let fullName = request.fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard SignUpInput.isPlausibleEmail(email) else {
            throw RPCError(.invalidArgument, "email is not a valid address")
        }
        guard !fullName.isEmpty, fullName.count <= 255 else {
            throw RPCError(.invalidArgument, "full_name is required (at most 255 characters)")
        }
        guard Self.invitableRoles.contains(request.role) else {
            throw RPCError(.invalidArgument, "role must be admin, manager or consultant")
        }
        try RoleCeiling.requireMayGive(request.role, caller: caller)
        return try await database.withTransaction { connection in
            let count = try await OrganizationStore.lockUserCount(id: caller.organizationID, on: connection)
            if let limit = count.maxUsers, limit > 0, count.users >= Int64(limit) {
                throw RPCError(.resourceExhausted, "plan limit reached: max_users is \(limit)")
            }
            let user = try await UserStore.create(
                organizationID: caller.organizationID, email: email, passwordHash: UserStore.unusablePasswordHash,
                fullName: fullName, role: request.role, on: connection)
            let userID = UUID(canonicalText: user.id)!
            let token = try await UserTokenStore.issue(
                userID: userID, purpose: .invitation, lifetime: Self.invitationLifetime, on: connection)
            try await AuditLog.record(
                .userInvited, organizationID: caller.organizationID, userID: caller.userID, client: request.client,
                details: ["invited_user_id": user.id, "role": request.role], on: connection)
            try await Self.recordUserCreated(user, organizationID: caller.organizationID, on: connection)
            return Identity.InviteUserResponse(
                user: user, invitationToken: token, expiresIn: Self.invitationLifetime)
        }
    }

    /// Uses the invitation once: sets the password, marks the email verified, opens a session.
    func acceptInvitation(
        _ request: Identity.AcceptInvitationRequest, _ context: RPCContext
    ) async throws
        -> Identity.AcceptInvitationResponse
    {
        guard !request.invitationToken.isEmpty else {
            throw RPCError(.invalidArgument, "invitation_token is required")
        }
        try SignUpInput.checkPassword(request.password)
        let hasher = self.hasher, password = request.password
        let passwordHash = try await passwordWorkers.run { try hasher.hash(password) }
        return try await database.withTransaction { connection in
            guard
                let userID = try await UserTokenStore.consume(
                    request.invitationToken, purpose: .invitation, on: connection),
                let account = try await UserStore.credentialsByID(userID, on: connection), account.canLogIn
            else { throw RPCError(.unauthenticated, "invalid, used or expired invitation") }
            try await UserStore.setPasswordHash(
                id: userID, passwordHash: passwordHash, verifyEmail: true, on: connection)
            try await UserStore.recordLogin(id: userID, newPasswordHash: nil, on: connection)
            let tokens = try await SessionStore.issue(
                familyID: UUID(), organizationID: account.organizationID, userID: userID, client: request.client,
                lifetimes: lifetimes, on: connection)
            try await AuditLog.record(
                .invitationAccepted, organizationID: account.organizationID, userID: userID, client: request.client,
                on: connection)
            let user = try await UserStore.find(id: userID, organizationID: account.organizationID, on: connection)
            return Identity.AcceptInvitationResponse(tokens: tokens, user: user)
        }
    }
}
