import Access
import Contracts
import Cryptography
import Foundation
import Postgres
import RPC

/// SetUpTwoFactor, EnableTwoFactor, DisableTwoFactor, and the TOTP check of LogIn.
///
/// TOTP per RFC 6238 (SHA-1, 6 digits, 30 s, ±1 step). The secret is sealed with the key
/// ring (`SMARTERCHAT_ENCRYPTION_KEYS`), bound to the user id; without keys 2FA cannot be
/// set up (`FAILED_PRECONDITION`). A code is accepted once: its step must be newer than the
/// last one used.
extension IdentityHandlers {
    func setUpTwoFactor(_ context: RPCContext) async throws -> Identity.SetUpTwoFactorResponse {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileWrite)
        let keyRing = try requireKeyRing()
        let totp = try TOTP(secret: TOTP.generateSecret())
        let sealed = try keyRing.sealText(Base32.encode(totp.secret), associatedData: caller.userID.uuidString)
        let email = try await database.withConnection { connection in
            guard try await TwoFactorStore.setPendingSecret(userID: caller.userID, sealed: sealed, on: connection)
            else { throw RPCError(.failedPrecondition, "two-factor authentication is already on") }
            return try await UserStore.account(
                id: caller.userID, organizationID: caller.organizationID, on: connection)?
                .email ?? ""
        }
        return Identity.SetUpTwoFactorResponse(
            secret: Base32.encode(totp.secret), otpauthUri: totp.provisioningURI(issuer: "SmarterChat", account: email))
    }

    func enableTwoFactor(
        _ request: Identity.EnableTwoFactorRequest, _ context: RPCContext
    ) async throws
        -> Identity.EnableTwoFactorResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileWrite)
        try await database.withConnection { connection in
            guard let account = try await UserStore.credentialsByID(caller.userID, on: connection),
                account.organizationID == caller.organizationID, account.twoFactorSecret != nil
            else { throw RPCError(.failedPrecondition, "set up two-factor authentication first") }
            guard !account.twoFactorEnabled else { return }
            guard try await acceptCode(request.code, for: account, on: connection) else {
                throw RPCError(.invalidArgument, "code is not correct")
            }
            try await TwoFactorStore.setEnabled(true, userID: caller.userID, on: connection)
        }
        return Identity.EnableTwoFactorResponse()
    }

    func disableTwoFactor(
        _ request: Identity.DisableTwoFactorRequest, _ context: RPCContext
    ) async throws
        -> Identity.DisableTwoFactorResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileWrite)
        guard
            let account = try await database.withConnection({ connection in
                try await UserStore.credentialsByID(caller.userID, on: connection)
            }), account.organizationID == caller.organizationID, account.twoFactorEnabled
        else { throw RPCError(.failedPrecondition, "two-factor authentication is not on") }
        let hasher = self.hasher, password = request.password, stored = account.passwordHash
        let passwordMatches =
            password.utf8.count <= SignUpInput.maximumPasswordLength
            ? (try? await passwordWorkers.run { try hasher.verify(password, against: stored) }) == true : false
        guard passwordMatches else { throw RPCError(.invalidArgument, "password or code is not correct") }
        try await database.withConnection { connection in
            guard try await acceptCode(request.code, for: account, on: connection) else {
                throw RPCError(.invalidArgument, "password or code is not correct")
            }
            try await TwoFactorStore.setEnabled(false, userID: caller.userID, on: connection)
        }
        return Identity.DisableTwoFactorResponse()
    }

    /// Whether `code` is a current code of the account's secret not used before (and uses it).
    func acceptCode(
        _ code: String, for account: UserStore.Credentials, on connection: PostgresConnection
    )
        async throws -> Bool
    {
        guard let sealed = account.twoFactorSecret else { return false }
        let keyRing = try requireKeyRing()
        let secret = try keyRing.openText(sealed, associatedData: account.id.uuidString)
        let totp = try TOTP(base32Secret: secret)
        guard
            let step = totp.verify(
                code, drift: 1, after: account.twoFactorLastStep.map { UInt64(max(0, $0)) })
        else { return false }
        return try await TwoFactorStore.useStep(userID: account.id, step: Int64(step), on: connection)
    }

    private func requireKeyRing() throws -> KeyRing {
        guard let keyRing else {
            throw RPCError(.failedPrecondition, "two-factor authentication is not configured on this server")
        }
        return keyRing
    }
}
