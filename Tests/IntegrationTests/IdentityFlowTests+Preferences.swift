import Foundation
import Testing

/// `GET /me` and `PATCH /me` with `preferences` through the gateway: the JSON object is
/// carried to identity and back, merged shallowly, and refused with a JSON 400 when it is not
/// an object or is too large.
extension IdentityFlowTests {
    /// `preferences` of a `/me` answer.
    static func preferences(_ exchange: HTTPExchange) -> [String: Any]? {
        exchange.json["preferences"] as? [String: Any]
    }

    func preferencesFlow(_ platform: RunningPlatform) async throws {
        let ann = try Tokens(try await Self.signUp(platform, slug: "prefs-a", email: "ann@prefs-a.example"))
        let bob = try Tokens(try await Self.signUp(platform, slug: "prefs-b", email: "bob@prefs-b.example"))
        let empty = try await platform.request("GET", "/api/v1/me", token: ann.access)
        #expect(empty.status == 200 && Self.preferences(empty)?.isEmpty == true)

        // Set, then merge: members given replace, the others stay, nested objects are replaced whole.
        let set = try await platform.request(
            "PATCH", "/api/v1/me",
            json: ["preferences": ["theme": "dark", "inbox": ["density": "compact", "sound": true]]],
            token: ann.access)
        #expect(set.status == 200)
        #expect(Self.preferences(set)?["theme"] as? String == "dark")
        #expect((set.json["user"] as? [String: Any])?["email"] as? String == "ann@prefs-a.example")
        let merged = try await platform.request(
            "PATCH", "/api/v1/me", json: ["preferences": ["language": "pt-BR", "inbox": ["sound": false]]],
            token: ann.access)
        #expect(merged.status == 200)
        #expect(Self.preferences(merged)?.keys.sorted() == ["inbox", "language", "theme"])
        #expect((Self.preferences(merged)?["inbox"] as? [String: Any])?.keys.sorted() == ["sound"])

        // A member set to null removes it; GET /me shows the result at once.
        let removed = try await platform.request(
            "PATCH", "/api/v1/me", body: #"{"preferences": {"theme": null}}"#, token: ann.access)
        #expect(removed.status == 200)
        let read = try await platform.request("GET", "/api/v1/me", token: ann.access)
        #expect(Self.preferences(read)?.keys.sorted() == ["inbox", "language"])
        #expect(Self.preferences(read)?["language"] as? String == "pt-BR")

        // Not an object (null included) or too large: 400 with a JSON error; nothing changes.
        let tooLarge = #"{"preferences": {"note": ""# + String(repeating: "x", count: 17 * 1024) + #""}}"#
        for body in [
            #"{"preferences": [1, 2]}"#, #"{"preferences": "dark"}"#, #"{"preferences": null}"#,
            #"{"preferences": 5}"#, tooLarge,
        ] {
            let bad = try await platform.request("PATCH", "/api/v1/me", body: body, token: ann.access)
            #expect(bad.status == 400, "\(body.prefix(40))")
            #expect(bad.errorCode == "invalid_json" || bad.errorCode == "invalid_argument", "\(body.prefix(40))")
        }
        let after = try await platform.request("GET", "/api/v1/me", token: ann.access)
        #expect(Self.preferences(after)?.keys.sorted() == ["inbox", "language"])

        // Another user sees only their own.
        let other = try await platform.request("GET", "/api/v1/me", token: bob.access)
        #expect(other.status == 200 && Self.preferences(other)?.isEmpty == true)
        #expect(!String(decoding: other.body, as: UTF8.self).contains("pt-BR"))
    }
}
