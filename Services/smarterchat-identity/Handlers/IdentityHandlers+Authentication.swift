import Access
import Contracts
import Cryptography
import Foundation
import Postgres
import RPC
import ServiceKit

/// SignUp, LogIn, Refresh: the calls that hand out tokens.
extension IdentityHandlers {
    func signUp(_ request: Identity.SignUpRequest, _ context: RPCContext) async throws -> Identity.SignUpResponse {
        let input = try SignUpInput(request)
        let hasher = self.hasher
        let passwordHash = try await passwordWorkers.run { try hasher.hash(input.password) }
        return try await database.withTransaction { connection in
            let organization = try await OrganizationStore.create(
                name: input.organizationName, slug: input.slug, on: connection)
            let organizationID = UUID(canonicalText: organization.id)!
            let user = try await UserStore.create(
                organizationID: organizationID, email: input.email, passwordHash: passwordHash,
                fullName: input.fullName, role: "admin", on: connection)
            let userID = UUID(canonicalText: user.id)!
            let tokens = try await SessionStore.issue(
                familyID: UUID(), organizationID: organizationID, userID: userID, client: request.client,
                lifetimes: lifetimes, on: connection)
            try await AuditLog.record(
                .signedUp, organizationID: organizationID, userID: userID, client: request.client,
                details: ["slug": input.slug], on: connection)
            try await Outbox.append(
                Outbox.Event(
                    type: "organization.created", organizationID: organizationID, aggregateType: "organization",
                    aggregateID: organizationID,
                    payload: ["organization_id": organization.id, "name": organization.name, "slug": organization.slug]),
                on: connection)
            try await Self.recordUserCreated(user, organizationID: organizationID, on: connection)
            _ = try await Self.issueEmailVerification(
                userID: userID, organizationID: organizationID, email: user.email, on: connection)
            return Identity.SignUpResponse(tokens: tokens, user: user, organization: organization)
        }
    }

    /// Admits the attempt first (the lockout check and recording it as a failure, in one
    /// short transaction: concurrent attempts cannot all pass the check while their scrypt
    /// runs), then verifies the password (always one scrypt verification, against a dummy
    /// hash when the email is unknown, with no connection held), then whether the account may
    /// log in. A login that opens a session marks its attempt succeeded.
    func logIn(_ request: Identity.LogInRequest, _ context: RPCContext) async throws -> Identity.LogInResponse {
        let email = SignUpInput.normalizedEmail(request.email)
        let address = request.client?.ipAddress ?? ""
        guard !email.isEmpty, !request.password.isEmpty else {
            throw RPCError(.invalidArgument, "email and password are required")
        }
        let lockout = self.lockout
        let (admission, credentials) = try await database.withTransaction { connection in
            let admission = try await LoginAttemptStore.admit(
                email: email, address: address, rule: lockout, on: connection)
            guard case .admitted = admission else {
                try await AuditLog.record(
                    .loginLocked, organizationID: nil, userID: nil, client: request.client,
                    details: ["email": email], on: connection)
                return (admission, nil as UserStore.Credentials?)
            }
            return (admission, try await UserStore.credentials(email: email, on: connection))
        }
        let attemptID: Int64
        switch admission {
        case .locked(let wait): return Identity.LogInResponse(retryAfterSeconds: wait)
        case .admitted(let id): attemptID = id
        }

        let hasher = self.hasher, password = request.password
        // An unknown email, or an invited user without a password yet, costs the same scrypt.
        let stored = (credentials?.passwordHash).flatMap { $0.hasPrefix("$scrypt$") ? $0 : nil } ?? dummyPasswordHash
        var matches = false
        if password.utf8.count <= SignUpInput.maximumPasswordLength {
            matches = (try? await passwordWorkers.run { try hasher.verify(password, against: stored) }) == true
        }
        guard let credentials, matches else {
            // The attempt is already recorded as failed.
            try await database.withConnection { connection in
                try await AuditLog.record(
                    .loginFailed, organizationID: credentials?.organizationID, userID: credentials?.id,
                    client: request.client, details: ["email": email], on: connection)
            }
            throw RPCError(.unauthenticated, "invalid email or password")
        }
        guard credentials.canLogIn else {
            try await database.withConnection { connection in
                try await LoginAttemptStore.forget(attemptID, on: connection)
                try await AuditLog.record(
                    .loginRefused, organizationID: credentials.organizationID, userID: credentials.id,
                    client: request.client, on: connection)
            }
            throw RPCError(.permissionDenied, "this account or its organization is not active")
        }
        if credentials.twoFactorEnabled {
            if request.totpCode.isEmpty {
                try await database.withConnection { connection in
                    try await LoginAttemptStore.forget(attemptID, on: connection)
                }
                return Identity.LogInResponse(twoFactorRequired: true)
            }
            try await database.withConnection { connection in
                guard try await acceptCode(request.totpCode, for: credentials, on: connection) else {
                    // The attempt stays recorded as failed.
                    try await AuditLog.record(
                        .loginFailed, organizationID: credentials.organizationID, userID: credentials.id,
                        client: request.client, details: ["email": email, "reason": "totp"], on: connection)
                    throw RPCError(.unauthenticated, "invalid two-factor code")
                }
            }
        }
        let rehash =
            hasher.needsRehash(credentials.passwordHash)
            ? try await passwordWorkers.run { try hasher.hash(password) } : nil
        return try await database.withTransaction { connection in
            try await LoginAttemptStore.markSucceeded(attemptID, on: connection)
            try await UserStore.recordLogin(id: credentials.id, newPasswordHash: rehash, on: connection)
            let tokens = try await SessionStore.issue(
                familyID: UUID(), organizationID: credentials.organizationID, userID: credentials.id,
                client: request.client, lifetimes: lifetimes, on: connection)
            try await AuditLog.record(
                .loginSucceeded, organizationID: credentials.organizationID, userID: credentials.id,
                client: request.client, on: connection)
            let user = try await UserStore.find(
                id: credentials.id, organizationID: credentials.organizationID, on: connection)
            return Identity.LogInResponse(tokens: tokens, user: user)
        }
    }

    /// What a refresh did, decided under the session's row lock.
    private enum RefreshOutcome: Sendable {
        case issued(Identity.TokenPair)
        case reused
        case refused
    }

    /// Rotates the refresh token; presenting an already rotated one revokes its whole family
    /// (committed before the caller hears `UNAUTHENTICATED`).
    func refresh(_ request: Identity.RefreshRequest, _ context: RPCContext) async throws -> Identity.RefreshResponse {
        guard !request.refreshToken.isEmpty else { throw RPCError(.invalidArgument, "refresh_token is required") }
        let outcome: RefreshOutcome = try await database.withTransaction { connection in
            guard let target = try await SessionStore.lockForRefresh(refreshToken: request.refreshToken, on: connection)
            else { return .refused }
            if target.rotated {
                let revoked = try await SessionStore.revokeFamily(
                    target.familyID, reason: "refresh_reuse", on: connection)
                try await AuditLog.record(
                    .refreshReused, organizationID: target.organizationID, userID: target.userID,
                    client: request.client,
                    details: ["session_id": target.familyID.lowercasedString, "revoked": "\(revoked)"],
                    on: connection)
                return .reused
            }
            guard target.usable else { return .refused }
            try await SessionStore.markRotated(id: target.id, on: connection)
            return .issued(
                try await SessionStore.issue(
                    familyID: target.familyID, organizationID: target.organizationID, userID: target.userID,
                    client: request.client, lifetimes: lifetimes, on: connection))
        }
        switch outcome {
        case .issued(let tokens): return Identity.RefreshResponse(tokens: tokens)
        case .reused: throw RPCError(.unauthenticated, "refresh token was already used; the session is revoked")
        case .refused: throw RPCError(.unauthenticated, "invalid or expired refresh token")
        }
    }
}
