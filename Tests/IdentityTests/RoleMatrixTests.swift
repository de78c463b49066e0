import Access
import Contracts
import Foundation
import Postgres
import RPC
import TestSupport
import Testing

@testable import IdentityService

/// The role matrix over every authenticated identity endpoint of docs/openapi.yaml: each role
/// is allowed or refused exactly as `RolePermissions` (the table of docs/permissions.md,
/// checked by ``PermissionDocumentTests``) says for the permission the endpoint needs.
@Suite("Every role against every identity endpoint, as docs/permissions.md says")
struct RoleMatrixTests {
    /// The endpoints that take no bearer token (credentials or a single-use token in the body).
    static let publicEndpoints: Set<String> = [
        "POST /auth/signup", "POST /auth/login", "POST /auth/refresh", "POST /auth/accept-invitation",
        "POST /auth/verify-email",
    ]

    typealias Call = @Sendable (IdentityFixture, Principal) async throws -> Void

    /// Each authenticated endpoint: the permission it needs and the RPC the gateway makes for it.
    ///
    /// Each call is built so that, once the permission check passes, it stops without changing
    /// anything: bad ids or values, or a state that refuses it (the members have 2FA on with no
    /// secret and a verified email, see ``member(of:role:fixture:)``).
    static let matrix: [String: (Permission, Call)] = [
        "GET /me": (.profileRead, { _ = try await $0.call(Identity.Service.getMe, .init(), as: $1) }),
        "PATCH /me": (
            .profileWrite,
            { _ = try await $0.call(Identity.Service.updateMe, .init(fullName: " ", preferencesJson: "[]"), as: $1) }
        ),
        "POST /me/password": (
            .profileWrite,
            { _ = try await $0.call(Identity.Service.changePassword, .init(newPassword: "short"), as: $1) }
        ),
        "POST /me/email-verification": (
            .profileWrite, { _ = try await $0.call(Identity.Service.requestEmailVerification, .init(), as: $1) }
        ),
        "POST /me/2fa/setup": (
            .profileWrite, { _ = try await $0.call(Identity.Service.setUpTwoFactor, .init(), as: $1) }
        ),
        "POST /me/2fa/enable": (
            .profileWrite, { _ = try await $0.call(Identity.Service.enableTwoFactor, .init(code: "000000"), as: $1) }
        ),
        "POST /me/2fa/disable": (
            .profileWrite,
            {
                _ = try await $0.call(
                    Identity.Service.disableTwoFactor, .init(password: "not the password", code: "000000"), as: $1)
            }
        ),
        // Logging out revokes the calling session through the same method as DELETE /sessions/{id}.
        "POST /auth/logout": (
            .sessionsManageOwn,
            { _ = try await $0.call(Identity.Service.revokeSession, .init(sessionId: UUID().uuidString), as: $1) }
        ),
        "GET /sessions": (
            .sessionsManageOwn, { _ = try await $0.call(Identity.Service.listSessions, .init(), as: $1) }
        ),
        "DELETE /sessions/{id}": (
            .sessionsManageOwn,
            { _ = try await $0.call(Identity.Service.revokeSession, .init(sessionId: "none"), as: $1) }
        ),
        "GET /users": (.usersRead, { _ = try await $0.call(Identity.Service.listUsers, .init(), as: $1) }),
        "POST /users": (
            .usersWrite,
            {
                _ = try await $0.call(
                    Identity.Service.inviteUser, .init(email: "x@y.z", fullName: "X", role: "?"), as: $1)
            }
        ),
        "PATCH /users/{id}": (
            .usersWrite, { _ = try await $0.call(Identity.Service.updateUser, .init(userId: "none"), as: $1) }
        ),
        "DELETE /users/{id}": (
            .usersWrite, { _ = try await $0.call(Identity.Service.deleteUser, .init(userId: "none"), as: $1) }
        ),
        "GET /api-keys": (.apiKeysManage, { _ = try await $0.call(Identity.Service.listApiKeys, .init(), as: $1) }),
        "POST /api-keys": (
            .apiKeysManage,
            { _ = try await $0.call(Identity.Service.createApiKey, .init(name: "k", scopes: []), as: $1) }
        ),
        "DELETE /api-keys/{id}": (
            .apiKeysManage, { _ = try await $0.call(Identity.Service.revokeApiKey, .init(apiKeyId: "none"), as: $1) }
        ),
        "GET /organization/settings": (
            .organizationRead, { _ = try await $0.call(Identity.Service.getOrganizationSettings, .init(), as: $1) }
        ),
        "PATCH /organization/settings": (
            .organizationWrite,
            { _ = try await $0.call(Identity.Service.updateOrganizationSettings, .init(settings: "[]"), as: $1) }
        ),
        "GET /platform/organizations": (
            .platformOrganizations, { _ = try await $0.call(Identity.Service.listOrganizations, .init(), as: $1) }
        ),
        "PATCH /platform/organizations/{id}": (
            .platformOrganizations,
            { _ = try await $0.call(Identity.Service.updateOrganization, .init(organizationId: "none"), as: $1) }
        ),
    ]

    /// A logged-in user with `role`, 2FA on (so that a super_admin may use the platform
    /// endpoints, and 2FA setup stops at "already on") and the email verified.
    static func member(
        of organization: Identity.Organization, role: Role, fixture: IdentityFixture
    ) async throws -> Principal {
        let principal = try await UsersTests.member(of: organization, role: role.rawValue, fixture: fixture)
        try await fixture.database.execute(
            "UPDATE users SET two_factor_enabled = TRUE, email_verified = TRUE WHERE id = $1",
            [UUID(uuidString: principal.userId)!])
        return principal
    }

    @Test("the matrix names every authenticated identity endpoint of docs/openapi.yaml")
    func matrixCoversDocument() throws {
        let documented = try OpenAPIDocument.identityEndpoints()
        #expect(Self.publicEndpoints.isSubset(of: documented))
        #expect(Set(Self.matrix.keys) == documented.subtracting(Self.publicEndpoints))
    }

    @Test("each role is allowed or refused on each endpoint as RolePermissions says", arguments: Role.allCases)
    func roleAgainstEveryEndpoint(_ role: Role) async throws {
        let fixture = try await IdentityFixture.shared()
        let organization = try #require(try await fixture.signUp().response.organization)
        let principal = try await Self.member(of: organization, role: role, fixture: fixture)
        for (endpoint, (permission, call)) in Self.matrix.sorted(by: { $0.key < $1.key }) {
            let code = await fixture.failure { try await call(fixture, principal) }
            let allowed = RolePermissions.allows(role.rawValue, permission)
            #expect(
                (code != .permissionDenied) == allowed,
                "\(role.rawValue) \(endpoint) (\(permission.rawValue)): \(String(describing: code))")
        }
    }
}
