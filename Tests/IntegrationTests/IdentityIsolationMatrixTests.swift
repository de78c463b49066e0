import Foundation
import TestSupport
import Testing

/// Tenant isolation over every identity endpoint of docs/openapi.yaml: organization A's
/// admin, holding organization B's ids, gets 404 wherever an id is taken, sees none of B's
/// data wherever it reads, and B's state is identical before and after everything A did.
@Suite("Identity tenant isolation over every endpoint", .serialized)
struct IdentityIsolationMatrixTests {
    /// How an endpoint is scoped.
    enum Scope {
        /// Takes an id in its path: A with B's id must get 404.
        case foreignID
        /// Answers about the principal's own organization or user only.
        case principal
        /// Public, authenticated by a token or credentials in the body (no principal).
        case credentials
        /// Platform-wide, super_admin with 2FA only: an organization admin gets 403 for any id.
        case platform
    }

    /// Every identity endpoint. The test fails when the document has one this table lacks.
    static let matrix: [String: Scope] = [
        "POST /auth/signup": .credentials, "POST /auth/login": .credentials, "POST /auth/refresh": .credentials,
        "POST /auth/accept-invitation": .credentials, "POST /auth/verify-email": .credentials,
        "POST /auth/logout": .principal, "GET /me": .principal, "PATCH /me": .principal,
        "POST /me/password": .principal, "POST /me/email-verification": .principal,
        "POST /me/2fa/setup": .principal, "POST /me/2fa/enable": .principal, "POST /me/2fa/disable": .principal,
        "GET /users": .principal, "POST /users": .principal, "PATCH /users/{id}": .foreignID,
        "DELETE /users/{id}": .foreignID, "GET /sessions": .principal, "DELETE /sessions/{id}": .foreignID,
        "GET /api-keys": .principal, "POST /api-keys": .principal, "DELETE /api-keys/{id}": .foreignID,
        "GET /organization/settings": .principal, "PATCH /organization/settings": .principal,
        "GET /platform/organizations": .platform, "PATCH /platform/organizations/{id}": .platform,
    ]

    @Test("the matrix names every identity endpoint of the document")
    func matrixCoversDocument() throws {
        #expect(try OpenAPIDocument.identityEndpoints() == Set(Self.matrix.keys))
    }

    /// B's state as B reads it; identical before and after A's calls.
    static func snapshot(_ platform: RunningPlatform, token: String) async throws -> [String] {
        var bodies: [String] = []
        for path in ["/api/v1/me", "/api/v1/users", "/api/v1/api-keys", "/api/v1/organization/settings"] {
            let response = try await platform.request("GET", path, token: token)
            #expect(response.status == 200, "\(path)")
            bodies.append(String(decoding: response.body, as: UTF8.self))
        }
        return bodies
    }

    @Test("organization A with organization B's ids: 404 everywhere, none of B's data, B unchanged")
    func isolation() async throws {
        try await RunningPlatform.withHealthy { platform in
            let a = try IdentityFlowTests.Tokens(
                try await IdentityFlowTests.signUp(platform, slug: "iso-a", email: "ann@iso-a.example"))
            let bSignUp = try await IdentityFlowTests.signUp(platform, slug: "iso-b", email: "bob@iso-b.example")
            let b = try IdentityFlowTests.Tokens(bSignUp)
            let bOrganization = try #require((bSignUp.json["organization"] as? [String: Any])?["id"] as? String)
            // B's things: a user, an API key, settings, the admin's preferences.
            let invited = try await platform.request(
                "POST", "/api/v1/users",
                json: ["email": "cat@iso-b.example", "full_name": "Cat", "role": "consultant"],
                token: b.access)
            let bUser = try #require((invited.json["user"] as? [String: Any])?["id"] as? String)
            let key = try await platform.request(
                "POST", "/api/v1/api-keys", json: ["name": "b key", "scopes": ["leads:read"]], token: b.access)
            let bKey = try #require((key.json["api_key"] as? [String: Any])?["id"] as? String)
            _ = try await platform.request(
                "PATCH", "/api/v1/organization/settings", json: ["settings": ["owner": "b"]], token: b.access)
            _ = try await platform.request(
                "PATCH", "/api/v1/me", json: ["preferences": ["b_only_pref": "b"]], token: b.access)
            let before = try await Self.snapshot(platform, token: b.access)

            // Every id-taking endpoint with B's ids.
            let foreign: [(String, String, [String: Any]?)] = [
                ("PATCH", "/api/v1/users/\(bUser)", ["role": "admin"]),
                ("DELETE", "/api/v1/users/\(bUser)", nil),
                ("DELETE", "/api/v1/sessions/\(b.session)", nil),
                ("DELETE", "/api/v1/api-keys/\(bKey)", nil),
            ]
            #expect(foreign.count == Self.matrix.values.filter { $0 == .foreignID }.count)
            for (method, path, json) in foreign {
                let response =
                    if let json { try await platform.request(method, path, json: json, token: a.access) } else {
                        try await platform.request(method, path, token: a.access)
                    }
                #expect(response.status == 404 && response.errorCode == "not_found", "\(method) \(path)")
            }
            // Platform endpoints: an organization admin is refused whatever the id.
            let platformCall = try await platform.request(
                "PATCH", "/api/v1/platform/organizations/\(bOrganization)", json: ["status": "suspended"],
                token: a.access)
            #expect(platformCall.status == 403)
            #expect(try await platform.request("GET", "/api/v1/platform/organizations", token: a.access).status == 403)

            // Principal-scoped reads show none of B's identifiers; writes touch only A.
            for path in [
                "/api/v1/me", "/api/v1/users", "/api/v1/sessions", "/api/v1/api-keys", "/api/v1/organization/settings",
            ] {
                let body = String(
                    decoding: try await platform.request("GET", path, token: a.access).body, as: UTF8.self)
                for secret in [bOrganization, bUser, bKey, b.session, "iso-b.example", "\"owner\"", "b_only_pref"] {
                    #expect(!body.contains(secret), "\(path) shows \(secret)")
                }
            }
            _ = try await platform.request(
                "PATCH", "/api/v1/me", json: ["full_name": "Ann A", "preferences": ["b_only_pref": "a"]],
                token: a.access)
            _ = try await platform.request(
                "PATCH", "/api/v1/organization/settings", json: ["settings": ["owner": "a"]], token: a.access)
            _ = try await platform.request(
                "POST", "/api/v1/users", json: ["email": "dan@iso-a.example", "full_name": "Dan", "role": "manager"],
                token: a.access)
            _ = try await platform.request(
                "POST", "/api/v1/api-keys", json: ["name": "a key", "scopes": ["leads:read"]], token: a.access)
            _ = try await platform.request("POST", "/api/v1/me/email-verification", token: a.access)

            #expect(try await Self.snapshot(platform, token: b.access) == before)
            #expect(try await platform.request("GET", "/api/v1/me", token: b.access).status == 200)
        }
    }
}
