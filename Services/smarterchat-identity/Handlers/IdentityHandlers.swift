import Access
import Contracts
import Cryptography
import Foundation
import Postgres
import RPC

/// The identity service's RPC handlers and what they share: the database, the password
/// hasher, token lifetimes and the lockout rule.
struct IdentityHandlers: Sendable {
    let database: PostgresClient
    let hasher: PasswordHasher
    let lifetimes: SessionStore.Lifetimes
    let lockout: LoginAttemptStore.Rule
    /// A hash of a random password, verified when an email is unknown so that a login takes
    /// as long whether or not the account exists.
    let dummyPasswordHash: String
    /// Where scrypt runs (never on an event loop or the cooperative pool).
    let passwordWorkers = PasswordWorkers()
    /// Seals TOTP secrets; nil when no encryption keys are configured (2FA cannot be set up).
    let keyRing: KeyRing?

    init(configuration: IdentityConfiguration, database: PostgresClient, keyRing: KeyRing? = nil) throws {
        self.database = database
        self.keyRing = keyRing
        self.hasher = try PasswordHasher(parameters: configuration.passwordParameters)
        self.lifetimes = .init(access: configuration.accessTokenLifetime, refresh: configuration.refreshTokenLifetime)
        self.lockout = .init(failures: configuration.lockoutFailures, window: configuration.lockoutWindow)
        self.dummyPasswordHash = try hasher.hash(SecureRandom.token())
    }

    /// Registers every identity method on `router`.
    func register(on router: RPCRouter) {
        router.register(Identity.Service.signUp) { request, context in try await signUp(request, context) }
        router.register(Identity.Service.logIn) { request, context in try await logIn(request, context) }
        router.register(Identity.Service.refresh) { request, context in try await refresh(request, context) }
        router.register(Identity.Service.validateToken) { request, _ in try await validateToken(request) }
        router.register(Identity.Service.getMe) { _, context in try await getMe(context) }
        router.register(Identity.Service.listSessions) { request, context in
            try await listSessions(request, context)
        }
        router.register(Identity.Service.revokeSession) { request, context in
            try await revokeSession(request, context)
        }
        router.register(Identity.Service.changePassword) { request, context in
            try await changePassword(request, context)
        }
        router.register(Identity.Service.listUsers) { _, context in try await listUsers(context) }
        router.register(Identity.Service.inviteUser) { request, context in try await inviteUser(request, context) }
        router.register(Identity.Service.acceptInvitation) { request, context in
            try await acceptInvitation(request, context)
        }
        router.register(Identity.Service.setUpTwoFactor) { _, context in try await setUpTwoFactor(context) }
        router.register(Identity.Service.enableTwoFactor) { request, context in
            try await enableTwoFactor(request, context)
        }
        router.register(Identity.Service.disableTwoFactor) { request, context in
            try await disableTwoFactor(request, context)
        }
        router.register(Identity.Service.updateUser) { request, context in try await updateUser(request, context) }
        router.register(Identity.Service.deleteUser) { request, context in try await deleteUser(request, context) }
        router.register(Identity.Service.getPlanLimits) { request, context in
            try await getPlanLimits(request, context)
        }
        router.register(Identity.Service.listAssignableUsers) { request, context in
            try await listAssignableUsers(request, context)
        }
        router.register(Identity.Service.requestEmailVerification) { _, context in
            try await requestEmailVerification(context)
        }
        router.register(Identity.Service.verifyEmail) { request, _ in try await verifyEmail(request) }
        router.register(Identity.Service.updateMe) { request, context in try await updateMe(request, context) }
        router.register(Identity.Service.listOrganizations) { _, context in try await listOrganizations(context) }
        router.register(Identity.Service.updateOrganization) { request, context in
            try await updateOrganization(request, context)
        }
        router.register(Identity.Service.createApiKey) { request, context in
            try await createApiKey(request, context)
        }
        router.register(Identity.Service.listApiKeys) { _, context in try await listApiKeys(context) }
        router.register(Identity.Service.revokeApiKey) { request, context in
            try await revokeApiKey(request, context)
        }
        router.register(Identity.Service.getOrganizationSettings) { _, context in
            try await getOrganizationSettings(context)
        }
        router.register(Identity.Service.updateOrganizationSettings) { request, context in
            try await updateOrganizationSettings(request, context)
        }
    }
}

/// The caller of an identity method (the shared principal reader and permission check).
typealias AuthenticatedUser = AuthenticatedCaller
