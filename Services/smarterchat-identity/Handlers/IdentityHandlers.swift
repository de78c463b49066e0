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
    /// GetMe answers of this replica, kept for at most a second.
    let profiles = ProfileCache()

    init(configuration: IdentityConfiguration, database: PostgresClient, keyRing: KeyRing? = nil) throws {
        self.database = database
        self.keyRing = keyRing
        self.hasher = try PasswordHasher(parameters: configuration.passwordParameters)
        self.lifetimes = .init(access: configuration.accessTokenLifetime, refresh: configuration.refreshTokenLifetime)
        self.lockout = .init(failures: configuration.lockoutFailures, window: configuration.lockoutWindow)
        self.dummyPasswordHash = try hasher.hash(SecureRandom.token())
    }

    /// Registers a method that may change a user or an organization: once it has run, the
    /// GetMe answers cached on this replica are dropped (``ProfileCache``).
    private func registerWrite<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, on router: RPCRouter,
        _ handler: @escaping @Sendable (Input, RPCContext) async throws -> Output
    ) {
        let profiles = self.profiles
        router.register(method) { request, context in
            defer { profiles.invalidateAll() }
            return try await handler(request, context)
        }
    }

    /// Registers every identity method on `router`.
    func register(on router: RPCRouter) {
        registerWrite(Identity.Service.signUp, on: router) { request, context in try await signUp(request, context) }
        registerWrite(Identity.Service.logIn, on: router) { request, context in try await logIn(request, context) }
        registerWrite(Identity.Service.refresh, on: router) { request, context in try await refresh(request, context) }
        router.register(Identity.Service.validateToken) { request, _ in try await validateToken(request) }
        router.register(
            Identity.Service.getMe, immediate: { _, context in try cachedMe(context) },
            handler: { _, context in try await getMe(context) })
        router.register(Identity.Service.listSessions) { request, context in
            try await listSessions(request, context)
        }
        registerWrite(Identity.Service.revokeSession, on: router) { request, context in
            try await revokeSession(request, context)
        }
        registerWrite(Identity.Service.changePassword, on: router) { request, context in
            try await changePassword(request, context)
        }
        router.register(Identity.Service.listUsers) { _, context in try await listUsers(context) }
        registerWrite(Identity.Service.inviteUser, on: router) { request, context in
            try await inviteUser(request, context)
        }
        registerWrite(Identity.Service.acceptInvitation, on: router) { request, context in
            try await acceptInvitation(request, context)
        }
        registerWrite(Identity.Service.setUpTwoFactor, on: router) { _, context in try await setUpTwoFactor(context) }
        registerWrite(Identity.Service.enableTwoFactor, on: router) { request, context in
            try await enableTwoFactor(request, context)
        }
        registerWrite(Identity.Service.disableTwoFactor, on: router) { request, context in
            try await disableTwoFactor(request, context)
        }
        registerWrite(Identity.Service.updateUser, on: router) { request, context in
            try await updateUser(request, context)
        }
        registerWrite(Identity.Service.deleteUser, on: router) { request, context in
            try await deleteUser(request, context)
        }
        router.register(Identity.Service.getPlanLimits) { request, context in
            try await getPlanLimits(request, context)
        }
        router.register(Identity.Service.listAssignableUsers) { request, context in
            try await listAssignableUsers(request, context)
        }
        router.register(Identity.Service.getUserNames) { request, context in try await getUserNames(request, context) }
        router.register(Identity.Service.listMessageRetention) { request, context in
            try await listMessageRetention(request, context)
        }
        registerWrite(Identity.Service.requestEmailVerification, on: router) { _, context in
            try await requestEmailVerification(context)
        }
        registerWrite(Identity.Service.verifyEmail, on: router) { request, _ in try await verifyEmail(request) }
        registerWrite(Identity.Service.updateMe, on: router) { request, context in try await updateMe(request, context)
        }
        router.register(Identity.Service.listOrganizations) { _, context in try await listOrganizations(context) }
        registerWrite(Identity.Service.updateOrganization, on: router) { request, context in
            try await updateOrganization(request, context)
        }
        registerWrite(Identity.Service.createApiKey, on: router) { request, context in
            try await createApiKey(request, context)
        }
        router.register(Identity.Service.listApiKeys) { _, context in try await listApiKeys(context) }
        registerWrite(Identity.Service.revokeApiKey, on: router) { request, context in
            try await revokeApiKey(request, context)
        }
        router.register(Identity.Service.getOrganizationSettings) { _, context in
            try await getOrganizationSettings(context)
        }
        registerWrite(Identity.Service.updateOrganizationSettings, on: router) { request, context in
            try await updateOrganizationSettings(request, context)
        }
    }
}

/// The caller of an identity method (the shared principal reader and permission check).
typealias AuthenticatedUser = AuthenticatedCaller
