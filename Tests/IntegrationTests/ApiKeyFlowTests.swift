import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// API keys and organization settings through the real gateway and identity processes.
@Suite("API keys and organization settings through the gateway", .serialized)
struct ApiKeyFlowTests {
    /// `GET path` with the key in `X-API-Key`.
    static func getWithKeyHeader(_ platform: RunningPlatform, _ path: String, key: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(platform.httpPort)\(path)")!)
        request.setValue(key, forHTTPHeaderField: "X-API-Key")
        request.timeoutInterval = 15
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test("create a key, use it by bearer and X-API-Key within its scopes, list it, revoke it; settings")
    func apiKeyFlow() async throws {
        try await RunningPlatform.withHealthy { try await run($0) }
    }

    func run(_ platform: RunningPlatform) async throws {
        let admin = try IdentityFlowTests.Tokens(
            try await IdentityFlowTests.signUp(platform, slug: "keys", email: "ada@keys.example")
        ).access
        let other = try IdentityFlowTests.Tokens(
            try await IdentityFlowTests.signUp(platform, slug: "other", email: "bob@other.example")
        ).access

        let created = try await platform.request(
            "POST", "/api/v1/api-keys", json: ["name": "CRM", "scopes": ["users:read"]], token: admin)
        #expect(created.status == 201)
        let key = try #require(created.json["key"] as? String)
        let apiKey = try #require(created.json["api_key"] as? [String: Any])
        let id = try #require(apiKey["id"] as? String)
        let prefix = try #require(apiKey["prefix"] as? String)
        #expect(key.hasPrefix("sck_") && key.hasPrefix(prefix))

        // In scope by either header; out of scope 403; the key cannot manage keys.
        #expect(try await platform.request("GET", "/api/v1/users", token: key).status == 200)
        #expect(try await Self.getWithKeyHeader(platform, "/api/v1/users", key: key) == 200)
        let denied = try await platform.request("GET", "/api/v1/organization/settings", token: key)
        #expect(denied.status == 403)
        #expect(try await platform.request("GET", "/api/v1/api-keys", token: key).status == 403)

        // Listed by prefix with last use, never the key.
        let listed = try await platform.request("GET", "/api/v1/api-keys", token: admin)
        #expect(listed.status == 200)
        let keys = try #require(listed.json["api_keys"] as? [[String: Any]])
        #expect(keys.count == 1 && keys.first?["prefix"] as? String == prefix)
        #expect((keys.first?["last_used_at"] as? String)?.isEmpty == false)
        #expect(!String(decoding: listed.body, as: UTF8.self).contains(key))

        // Another tenant's key id is 404; revoking takes effect within the cache time.
        #expect(try await platform.request("DELETE", "/api/v1/api-keys/\(id)", token: other).status == 404)
        #expect(try await platform.request("GET", "/api/v1/users", token: key).status == 200)
        #expect(try await platform.request("DELETE", "/api/v1/api-keys/\(id)", token: admin).status == 204)
        let refused = await platform.waitUntil(timeout: .seconds(3)) {
            (try? await Self.getWithKeyHeader(platform, "/api/v1/users", key: key)) == 401
        }
        #expect(refused)
        #expect(try await platform.request("GET", "/api/v1/users", token: "sck_nope").status == 401)

        // Settings: objects in and out; non-objects 400; another tenant sees its own.
        let patched = try await platform.request(
            "PATCH", "/api/v1/organization/settings", json: ["branding": ["primary_color": "#0a0b0c"]], token: admin)
        #expect(patched.status == 200)
        #expect((patched.json["branding"] as? [String: Any])?["primary_color"] as? String == "#0a0b0c")
        #expect((patched.json["settings"] as? [String: Any])?.isEmpty == true)
        let bad = try await platform.request(
            "PATCH", "/api/v1/organization/settings", body: #"{"settings": [1]}"#, token: admin)
        #expect(bad.status == 400 && bad.errorCode == "invalid_json")
        let theirs = try await platform.request("GET", "/api/v1/organization/settings", token: other)
        #expect(theirs.status == 200 && (theirs.json["branding"] as? [String: Any])?.isEmpty == true)
    }
}
