import Foundation
import Testing

extension ChannelIngestTests {
    /// The console stream ends once its token stops being valid, and sends nothing created
    /// after that: a logout through the gateway (the validator forgets the token at once) and a
    /// session revoked from another session and a user deactivated by an admin (both seen within
    /// the validator's 2 s cache age).
    /// Events come from web chat messages of `publicID`'s session `sessionToken`.
    func streamEndsOnRevocation(_ platform: RunningPlatform, publicID: String, sessionToken: String) async throws {
        let streamURL = "http://127.0.0.1:\(platform.httpPort)/api/v1/stream"
        func logIn() async throws -> IdentityFlowTests.Tokens {
            try IdentityFlowTests.Tokens(
                try await platform.request(
                    "POST", "/api/v1/auth/login",
                    json: ["email": "a@ingest.example", "password": "correct horse battery"]))
        }
        func visitorSays(_ text: String) async throws {
            let body = try JSONSerialization.data(withJSONObject: ["text": text, "client_message_id": text])
            let posted = try await Self.send(
                platform, "POST", "/webchat/\(publicID)/messages", body: String(decoding: body, as: UTF8.self),
                headers: ["Authorization": "Bearer \(sessionToken)"])
            #expect(posted.status == 201, "\(text): \(posted.status)")
        }

        // Logout: the stream ends within a few seconds; a message after the logout never shows.
        let session = try await logIn()
        let opened = ContinuousClock.now
        let loggedOutStream = try EventStreamReader(
            streamURL, headers: ["Authorization": "Bearer \(session.access)"], seconds: 20)
        #expect(await loggedOutStream.opened())
        try await visitorSays("before logout")
        try await Task.sleep(for: .seconds(1))
        #expect(
            try await platform.request("POST", "/api/v1/auth/logout", token: session.access).status == 204)
        try await visitorSays("after logout")
        let loggedOut = await loggedOutStream.text()
        #expect(ContinuousClock.now - opened < .seconds(10), "the stream outlived the logout")
        #expect(loggedOut.contains("before logout"))
        #expect(!loggedOut.contains("after logout"))
        // Reconnecting with the same token is refused.
        #expect(
            try await Self.send(
                platform, "GET", "/api/v1/stream", headers: ["Authorization": "Bearer \(session.access)"]
            )
            .status == 401)

        // A session revoked from another session: ends within the cache age plus a recheck.
        let watched = try await logIn()
        let other = try await logIn()
        let revoked: ContinuousClock.Instant
        let revokedStream = try EventStreamReader(
            streamURL, headers: ["Authorization": "Bearer \(watched.access)"], seconds: 20)
        #expect(await revokedStream.opened())
        try await visitorSays("before revocation")
        try await Task.sleep(for: .seconds(1))
        #expect(
            try await platform.request("DELETE", "/api/v1/sessions/\(watched.session)", token: other.access).status
                == 204)
        revoked = ContinuousClock.now
        // Past the validator's cache age, nothing may reach the stream any more.
        try await Task.sleep(for: .seconds(3))
        try await visitorSays("after revocation")
        let afterRevocation = await revokedStream.text()
        #expect(ContinuousClock.now - revoked < .seconds(8), "the stream outlived the revocation")
        #expect(afterRevocation.contains("before revocation"))
        #expect(!afterRevocation.contains("after revocation"))

        // A user deactivated by an admin: the same, within the cache age plus a recheck.
        let invited = try await platform.request(
            "POST", "/api/v1/users",
            json: ["email": "cy@ingest.example", "full_name": "Cy", "role": "consultant"], token: other.access)
        #expect(invited.status == 201)
        let accepted = try await platform.request(
            "POST", "/api/v1/auth/accept-invitation",
            json: [
                "invitation_token": invited.json["invitation_token"] as? String ?? "",
                "password": "cy's own long password",
            ])
        let consultant = try IdentityFlowTests.Tokens(accepted)
        let consultantID = try #require((accepted.json["user"] as? [String: Any])?["id"] as? String)
        let deactivatedStream = try EventStreamReader(
            streamURL, headers: ["Authorization": "Bearer \(consultant.access)"], seconds: 20)
        #expect(await deactivatedStream.opened())
        try await visitorSays("before deactivation")
        try await Task.sleep(for: .seconds(1))
        let deactivation = try await platform.request(
            "PATCH", "/api/v1/users/\(consultantID)", json: ["status": "inactive"], token: other.access)
        #expect(deactivation.status == 200)
        let deactivated = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        try await visitorSays("after deactivation")
        let afterDeactivation = await deactivatedStream.text()
        #expect(ContinuousClock.now - deactivated < .seconds(8), "the stream outlived the deactivation")
        #expect(afterDeactivation.contains("before deactivation"))
        #expect(!afterDeactivation.contains("after deactivation"))
    }
}
