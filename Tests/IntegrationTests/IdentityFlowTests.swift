import Foundation
import Logging
import Postgres
import Testing

/// Identity through the real gateway and the real identity process: sign up, `/me` and its
/// preferences, refresh rotation and reuse detection, logout, tenant isolation, bad bodies,
/// suspension, lockout.
@Suite("Identity flows through the gateway", .serialized)
struct IdentityFlowTests {
    struct Tokens {
        var access: String
        var refresh: String
        var session: String

        init(_ exchange: HTTPExchange) throws {
            let tokens = try #require(
                exchange.json["tokens"] as? [String: Any],
                "no tokens: HTTP \(exchange.status) \(String(decoding: exchange.body.prefix(300), as: UTF8.self))")
            access = try #require(tokens["access_token"] as? String)
            refresh = try #require(tokens["refresh_token"] as? String)
            session = try #require(tokens["session_id"] as? String)
        }
    }

    static func signUp(_ platform: RunningPlatform, slug: String, email: String) async throws -> HTTPExchange {
        try await platform.request(
            "POST", "/api/v1/auth/signup",
            json: [
                "organization_name": "Org \(slug)", "organization_slug": slug, "email": email,
                "password": "correct horse battery", "full_name": "Ada Admin",
            ])
    }

    /// Whether `/me` with `token` turns 401 within 3 s (the gateway caches answers for 2 s).
    static func becomesUnauthorized(_ platform: RunningPlatform, _ token: String) async -> Bool {
        await platform.waitUntil(timeout: .seconds(3)) {
            (try? await platform.request("GET", "/api/v1/me", token: token).status) == 401
        }
    }

    @Test(
        "sign up, me and preferences, refresh, reuse revokes the session, logout, isolation, 400s, suspension, lockout")
    func identityFlow() async throws {
        try await RunningPlatform.withHealthy { try await run($0) }
    }

    func run(_ platform: RunningPlatform) async throws {

        // Sign up: 201 with tokens; /me answers the new admin.
        let created = try await Self.signUp(platform, slug: "acme", email: "ada@acme.example")
        #expect(created.status == 201)
        let first = try Tokens(created)
        let me = try await platform.request("GET", "/api/v1/me", token: first.access)
        #expect(me.status == 200)
        #expect((me.json["user"] as? [String: Any])?["email"] as? String == "ada@acme.example")
        #expect((me.json["organization"] as? [String: Any])?["slug"] as? String == "acme")
        try await preferencesFlow(platform)

        // No token, a malformed header and a garbage token: 401 JSON.
        let anonymous = try await platform.request("GET", "/api/v1/me")
        #expect(anonymous.status == 401 && anonymous.errorCode == "unauthenticated")
        #expect(anonymous.header("WWW-Authenticate") == "Bearer")
        #expect(try await platform.request("GET", "/api/v1/me", token: "garbage").status == 401)

        // Refresh rotates; the old access token stops working (within the cache's 2 s).
        let refreshed = try await platform.request(
            "POST", "/api/v1/auth/refresh", json: ["refresh_token": first.refresh])
        #expect(refreshed.status == 200)
        let second = try Tokens(refreshed)
        #expect(second.session == first.session)
        #expect(try await platform.request("GET", "/api/v1/me", token: second.access).status == 200)
        #expect(await Self.becomesUnauthorized(platform, first.access))

        // Reusing the first refresh token revokes the whole session, newest tokens included.
        let reused = try await platform.request(
            "POST", "/api/v1/auth/refresh", json: ["refresh_token": first.refresh])
        #expect(reused.status == 401 && reused.errorCode == "unauthenticated")
        #expect(await Self.becomesUnauthorized(platform, second.access))
        #expect(
            try await platform.request("POST", "/api/v1/auth/refresh", json: ["refresh_token": second.refresh]).status
                == 401)

        // Log in again, list sessions, log out: the token is refused at once.
        let login = try await platform.request(
            "POST", "/api/v1/auth/login", json: ["email": "ADA@acme.example", "password": "correct horse battery"])
        #expect(login.status == 200)
        // A 200 carries the session and the user only (lockout and 2FA are error answers).
        #expect(Set(login.json.keys) == ["tokens", "user"])
        let third = try Tokens(login)
        let sessions = try await platform.request("GET", "/api/v1/sessions", token: third.access)
        let listed = try #require(sessions.json["sessions"] as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == [third.session])
        #expect(listed.first?["current"] as? Bool == true)
        #expect(try await platform.request("POST", "/api/v1/auth/logout", token: third.access).status == 204)
        #expect(try await platform.request("GET", "/api/v1/me", token: third.access).status == 401)

        // Tenant isolation: organization B cannot revoke A's session (404), which stays live.
        let fourth = try Tokens(
            try await platform.request(
                "POST", "/api/v1/auth/login",
                json: ["email": "ada@acme.example", "password": "correct horse battery"]))
        let other = try Tokens(try await Self.signUp(platform, slug: "globex", email: "hank@globex.example"))
        let foreign = try await platform.request("DELETE", "/api/v1/sessions/\(fourth.session)", token: other.access)
        #expect(foreign.status == 404 && foreign.errorCode == "not_found")
        #expect(try await platform.request("GET", "/api/v1/me", token: fourth.access).status == 200)

        // The admin lists their organization's users (only theirs) and changes the password.
        let users = try await platform.request("GET", "/api/v1/users", token: fourth.access)
        #expect(users.status == 200)
        let emails = (users.json["users"] as? [[String: Any]])?.compactMap { $0["email"] as? String }
        #expect(emails == ["ada@acme.example"])
        // Invitations: two fit the free plan's 3 users, the third is refused naming the limit.
        var invitations: [String] = []
        for name in ["bo", "cy"] {
            let invited = try await platform.request(
                "POST", "/api/v1/users",
                json: ["email": "\(name)@acme.example", "full_name": name, "role": "consultant"],
                token: fourth.access)
            #expect(invited.status == 201)
            invitations.append(invited.json["invitation_token"] as? String ?? "")
        }
        let full = try await platform.request(
            "POST", "/api/v1/users", json: ["email": "di@acme.example", "full_name": "Di", "role": "consultant"],
            token: fourth.access)
        #expect(full.status == 403 && full.errorCode == "plan_limit_exceeded")
        #expect((full.json["error"] as? [String: Any])?["message"] as? String == "plan limit reached: max_users is 3")
        let accepted = try await platform.request(
            "POST", "/api/v1/auth/accept-invitation",
            json: ["invitation_token": invitations[0], "password": "bo's own password"])
        #expect(accepted.status == 200)
        let bo = try Tokens(accepted)
        // A consultant may not list or invite users.
        #expect(try await platform.request("GET", "/api/v1/users", token: bo.access).status == 403)

        // Managing users: another organization's admin gets 404 for bo's id and changes nothing.
        let boID = try #require((accepted.json["user"] as? [String: Any])?["id"] as? String)
        let foreignPatch = try await platform.request(
            "PATCH", "/api/v1/users/\(boID)", json: ["role": "admin"], token: other.access)
        #expect(foreignPatch.status == 404 && foreignPatch.errorCode == "not_found")
        #expect(try await platform.request("DELETE", "/api/v1/users/\(boID)", token: other.access).status == 404)
        #expect(
            try await platform.request("PATCH", "/api/v1/users/\(boID)", body: #"{"role": 5}"#, token: fourth.access)
                .status == 400)
        let promoted = try await platform.request(
            "PATCH", "/api/v1/users/\(boID)", json: ["role": "manager"], token: fourth.access)
        #expect(promoted.status == 200)
        #expect((promoted.json["user"] as? [String: Any])?["role"] as? String == "manager")

        let changed = try await platform.request(
            "POST", "/api/v1/me/password",
            json: ["current_password": "correct horse battery", "new_password": "a brand new secret"],
            token: fourth.access)
        #expect(changed.status == 200)
        #expect(try await platform.request("GET", "/api/v1/me", token: fourth.access).status == 200)

        // No SMARTERCHAT_ENCRYPTION_KEYS here: 2FA cannot be set up, and says so as JSON.
        let setUp = try await platform.request("POST", "/api/v1/me/2fa/setup", token: fourth.access)
        #expect(setUp.status == 400 && setUp.errorCode == "failed_precondition")

        // Bad bodies: not JSON, not an object, wrong types, missing fields, taken slug.
        for body in ["not json", "[1, 2]", #"{"email": 5, "password": true}"#, "{}"] {
            let bad = try await platform.request("POST", "/api/v1/auth/login", body: body)
            #expect(bad.status == 400, "\(body)")
            #expect(bad.errorCode == "invalid_json" || bad.errorCode == "invalid_argument", "\(body)")
            #expect(bad.json["error"] is [String: Any])
        }
        let missing = try await platform.request("POST", "/api/v1/auth/signup", json: ["organization_slug": "x-y-z"])
        #expect(missing.status == 400 && missing.errorCode == "invalid_argument")
        let taken = try await Self.signUp(platform, slug: "acme", email: "other@acme.example")
        #expect(taken.status == 409 && taken.errorCode == "already_exists")

        // Suspending organization B stops its tokens and its logins.
        try await suspend(platform, slug: "globex")
        #expect(await Self.becomesUnauthorized(platform, other.access))
        let suspended = try await platform.request(
            "POST", "/api/v1/auth/login", json: ["email": "hank@globex.example", "password": "correct horse battery"])
        #expect(suspended.status == 403)

        // Lockout: 5 failures, then even the right password waits, with Retry-After.
        for _ in 1...5 {
            let wrong = try await platform.request(
                "POST", "/api/v1/auth/login", json: ["email": "ada@acme.example", "password": "wrong password!"])
            #expect(wrong.status == 401)
        }
        let locked = try await platform.request(
            "POST", "/api/v1/auth/login", json: ["email": "ada@acme.example", "password": "a brand new secret"])
        #expect(locked.status == 429 && locked.errorCode == "too_many_attempts")
        let retryAfter = Int(locked.header("Retry-After") ?? "") ?? 0
        #expect(retryAfter > 800 && retryAfter <= 900)
    }

    func suspend(_ platform: RunningPlatform, slug: String) async throws {
        let client = PostgresClient(configuration: platform.database, logger: .init(label: "IdentityFlowTests"))
        let changed = try await client.execute(
            "UPDATE identity.organizations SET status = 'suspended' WHERE slug = $1", [slug])
        await client.close()
        #expect(changed == 1)
    }
}
