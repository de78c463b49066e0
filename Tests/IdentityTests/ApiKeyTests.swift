import Access
import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("API keys: shown once, stored hashed, scoped, revocable, tenant-isolated")
struct ApiKeyTests {
    static func create(
        _ fixture: IdentityFixture, scopes: [String], expiresAt: String? = nil, as principal: Principal
    ) async throws -> Identity.CreateApiKeyResponse {
        try await fixture.call(
            Identity.Service.createApiKey,
            Identity.CreateApiKeyRequest(name: "CRM sync", scopes: scopes, expiresAt: expiresAt), as: principal)
    }

    /// The principal the gateway builds for `key`.
    static func principal(for key: String, _ fixture: IdentityFixture) async throws -> Principal {
        let validated = try await fixture.call(
            Identity.Service.validateToken, Identity.ValidateTokenRequest(accessToken: key))
        return Principal(
            organizationId: validated.organizationId, userId: validated.userId, role: validated.role,
            apiKeyId: validated.apiKeyId, scopes: validated.scopes)
    }

    @Test("a created key is shown once as sck_<prefix>_<secret>, listed by prefix with last use, never its secret")
    func createAndList() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let created = try await Self.create(fixture, scopes: ["users:read", "leads:write"], as: admin)
        let apiKey = try #require(created.apiKey)
        #expect(created.key.hasPrefix(apiKey.prefix + "_"))
        #expect(apiKey.prefix.count == 12 && apiKey.prefix.hasPrefix("sck_"))
        #expect(created.key.count == 56)
        #expect(apiKey.scopes == ["leads:write", "users:read"])
        #expect(apiKey.lastUsedAt.isEmpty && apiKey.expiresAt.isEmpty && apiKey.revokedAt.isEmpty)

        // Only the SHA-256 is stored.
        let rows = try await fixture.database.query(
            "SELECT key_hash FROM api_keys WHERE id = $1", [UUID(uuidString: apiKey.id)!])
        let stored = try #require(rows.firstRow).decode(String.self, "key_hash")
        #expect(stored == SessionStore.hash(created.key) && !stored.contains(created.key))

        let keyPrincipal = try await Self.principal(for: created.key, fixture)
        #expect(keyPrincipal.apiKeyId == apiKey.id && keyPrincipal.userId == admin.userId)
        #expect(keyPrincipal.role == "admin" && keyPrincipal.organizationId == admin.organizationId)

        let listed = try await fixture.call(Identity.Service.listApiKeys, Identity.ListApiKeysRequest(), as: admin)
        let entry = try #require(listed.apiKeys.first { $0.id == apiKey.id })
        #expect(entry.prefix == apiKey.prefix && !entry.lastUsedAt.isEmpty)
        #expect(listed.apiKeys.count == 1)
        #expect(try await fixture.auditCount("api_key.created", userID: admin.userId) == 1)
    }

    @Test("a key does only what its scopes allow, and never more than its creator's role")
    func scopesEnforced() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let created = try await Self.create(fixture, scopes: ["organization:read"], as: admin)
        let key = try await Self.principal(for: created.key, fixture)
        #expect(key.scopes == ["organization:read"])
        // In scope: organization settings are readable.
        _ = try await fixture.call(
            Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(), as: key)
        // Out of scope, although the admin's role allows them.
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: key)
            } == .permissionDenied)
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.listApiKeys, Identity.ListApiKeysRequest(), as: key)
            } == .permissionDenied)
        #expect(
            await fixture.failure { try await fixture.call(Identity.Service.getMe, .init(), as: key) }
                == .permissionDenied)

        // The creator is demoted: a users:write key stops working for writes.
        let member = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        let writer = try await Self.create(fixture, scopes: ["users:read", "users:write"], as: admin)
        try await fixture.database.execute(
            "UPDATE users SET role = 'manager' WHERE id = $1", [UUID(uuidString: admin.userId)!])
        let demoted = try await Self.principal(for: writer.key, fixture)
        #expect(demoted.role == "manager")
        _ = try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: demoted)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.updateUser, Identity.UpdateUserRequest(userId: member.userId, role: "manager"),
                    as: demoted)
            } == .permissionDenied)
    }

    @Test("unknown scopes, scopes beyond the caller's role, bad names and past expiries are refused")
    func creationRules() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        #expect(await fixture.failure { try await Self.create(fixture, scopes: [], as: admin) } == .invalidArgument)
        #expect(
            await fixture.failure { try await Self.create(fixture, scopes: ["api_keys:manage"], as: admin) }
                == .invalidArgument)
        #expect(
            await fixture.failure {
                try await Self.create(fixture, scopes: ["leads:read"], expiresAt: "2001-01-01T00:00:00Z", as: admin)
            } == .invalidArgument)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.createApiKey, Identity.CreateApiKeyRequest(name: " ", scopes: ["leads:read"]),
                    as: admin)
            } == .invalidArgument)
        for name in ["a\u{7}b", String(repeating: "e\u{301}", count: 200)] {
            #expect(
                await fixture.failure {
                    try await fixture.call(
                        Identity.Service.createApiKey, Identity.CreateApiKeyRequest(name: name, scopes: ["leads:read"]),
                        as: admin)
                } == .invalidArgument)
        }
        let manager = try await UsersTests.member(of: signUp.organization!, role: "manager", fixture: fixture)
        #expect(
            await fixture.failure { try await Self.create(fixture, scopes: ["leads:read"], as: manager) }
                == .permissionDenied)
    }

    @Test("revoked and expired keys are refused; using a revoked key is audited")
    func revokedAndExpired() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let created = try await Self.create(fixture, scopes: ["leads:read"], as: admin)
        let id = try #require(created.apiKey).id
        _ = try await Self.principal(for: created.key, fixture)
        _ = try await fixture.call(Identity.Service.revokeApiKey, Identity.RevokeApiKeyRequest(apiKeyId: id), as: admin)
        #expect(await fixture.failure { try await Self.principal(for: created.key, fixture) } == .unauthenticated)
        // A second use within the minute is refused too, and not audited again.
        #expect(await fixture.failure { try await Self.principal(for: created.key, fixture) } == .unauthenticated)
        #expect(try await fixture.auditCount("api_key.revoked", userID: admin.userId) == 1)
        let used = try await fixture.database.query(
            "SELECT count(*)::bigint AS n FROM audit_log WHERE event = 'api_key.revoked_used' AND details->>'api_key_id' = $1",
            [id])
        #expect(try used.firstRow?.decode(Int64.self, "n") == 1)
        let listed = try await fixture.call(Identity.Service.listApiKeys, Identity.ListApiKeysRequest(), as: admin)
        #expect(listed.apiKeys.first { $0.id == id }?.revokedAt.isEmpty == false)

        let fractional = try await Self.create(
            fixture, scopes: ["leads:read"], expiresAt: "2999-01-01T00:00:00.250+02:00", as: admin)
        #expect(try #require(fractional.apiKey).expiresAt == "2998-12-31T22:00:00Z")
        let expiring = try await Self.create(
            fixture, scopes: ["leads:read"], expiresAt: "2999-01-01T00:00:00Z", as: admin)
        #expect(try #require(expiring.apiKey).expiresAt == "2999-01-01T00:00:00Z")
        _ = try await Self.principal(for: expiring.key, fixture)
        try await fixture.database.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1",
            [UUID(uuidString: expiring.apiKey!.id)!])
        #expect(await fixture.failure { try await Self.principal(for: expiring.key, fixture) } == .unauthenticated)
        #expect(
            await fixture.failure { try await Self.principal(for: "sck_00000000_not-a-key", fixture) }
                == .unauthenticated)
    }

    @Test("another organization's key id is NOT_FOUND and stays live; keys are listed per organization")
    func tenantIsolation() async throws {
        let fixture = try await IdentityFixture.shared()
        let first = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        let second = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        let created = try await Self.create(fixture, scopes: ["leads:read"], as: first)
        let id = try #require(created.apiKey).id
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.revokeApiKey, Identity.RevokeApiKeyRequest(apiKeyId: id), as: second)
            } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.revokeApiKey, Identity.RevokeApiKeyRequest(apiKeyId: "not-a-uuid"), as: first)
            } == .notFound)
        _ = try await Self.principal(for: created.key, fixture)
        let listed = try await fixture.call(Identity.Service.listApiKeys, Identity.ListApiKeysRequest(), as: second)
        #expect(listed.apiKeys.isEmpty)
    }

    @Test("docs/permissions.md lists exactly the scopes of ApiKeyScopes; no scope manages keys or the platform")
    func scopeDocument() throws {
        let text = try String(contentsOf: PermissionDocumentTests.document, encoding: .utf8)
        let begin = try #require(text.range(of: "<!-- scopes:begin -->\n"))
        let end = try #require(text.range(of: "\n<!-- scopes:end -->"))
        #expect(String(text[begin.upperBound..<end.lowerBound]) == ApiKeyScopes.markdownTable())
        for forbidden in [Permission.apiKeysManage, .platformOrganizations, .profileWrite, .sessionsManageOwn] {
            #expect(ApiKeyScopes.grants[forbidden.rawValue] == nil)
        }
    }
}
