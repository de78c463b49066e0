import Foundation
import Logging
import Postgres
import Testing

/// The outbox relay end to end: identity's events reach analytics (the real processes, the
/// real RPC), confidential ones do not; the email verification token from the event works
/// through the gateway.
@Suite("Events flow from a service's outbox to its subscribers", .serialized)
struct EventFlowTests {
    @Test("sign up's events reach analytics once; the verification token reaches hooks only and verifies the email")
    func signUpEventsReachAnalytics() async throws {
        try await RunningPlatform.withHealthy(logOf: "analytics") { platform in
            let database = PostgresClient(configuration: platform.database, logger: Logger(label: "events"))
            defer { Task { await database.close() } }
            let created = try await IdentityFlowTests.signUp(platform, slug: "events", email: "eve@events.example")
            #expect(created.status == 201)
            let token = try #require((created.json["tokens"] as? [String: Any])?["access_token"] as? String)
            let organizationID = try #require(
                (created.json["organization"] as? [String: Any])?["id"] as? String)

            @Sendable func analyticsTypes() async throws -> [String] {
                try await database.query(
                    """
                    SELECT event_type FROM analytics.analytics_events
                    WHERE organization_id = $1::uuid ORDER BY created_at, event_type
                    """, [organizationID]
                ).map { try $0.decode(String.self, "event_type") }
            }
            let arrived = await platform.waitUntil(timeout: .seconds(10)) {
                (try? await analyticsTypes().count) == 2
            }
            #expect(arrived)
            #expect(try await analyticsTypes().sorted() == ["organization.created", "user.created"])
            // Delivery is recorded per subscriber (by the relay once analytics answered, so
            // just after the events are in analytics); hooks does not consume events yet, so
            // the events wait for it (kept 7 days).
            @Sendable func deliveredByType() async throws -> [String: [String]] {
                let delivered = try await database.query(
                    """
                    SELECT event_type, delivered_to FROM identity.outbox
                    WHERE organization_id = $1::uuid ORDER BY sequence
                    """, [organizationID])
                return try Dictionary(
                    uniqueKeysWithValues: delivered.map {
                        (try $0.decode(String.self, "event_type"), try $0.decode([String].self, "delivered_to"))
                    })
            }
            _ = await platform.waitUntil(timeout: .seconds(10)) {
                (try? await deliveredByType()["user.created"]) == ["analytics"]
            }
            let byType = try await deliveredByType()
            #expect(byType["user.created"] == ["analytics"])
            #expect(byType["user.email_verification_requested"] == [])

            // The token of the event verifies the email through the public route, once.
            let verification = try await database.query(
                """
                SELECT payload->>'token' AS token FROM identity.outbox
                WHERE organization_id = $1::uuid AND event_type = 'user.email_verification_requested'
                """, [organizationID])
            let emailToken = try #require(try verification.firstRow?.decode(String.self, "token"))
            let verified = try await platform.request(
                "POST", "/api/v1/auth/verify-email", json: ["token": emailToken])
            #expect(verified.status == 200 && verified.json["email"] as? String == "eve@events.example")
            let again = try await platform.request("POST", "/api/v1/auth/verify-email", json: ["token": emailToken])
            #expect(again.status == 404 && again.errorCode == "not_found")
            let me = try await platform.request("GET", "/api/v1/me", token: token)
            #expect((me.json["user"] as? [String: Any])?["email_verified"] as? Bool == true)
            let reissue = try await platform.request("POST", "/api/v1/me/email-verification", token: token)
            #expect(reissue.status == 400 && reissue.errorCode == "failed_precondition")
            // user.email_verified follows and reaches analytics too.
            #expect(
                await platform.waitUntil(timeout: .seconds(10)) {
                    (try? await analyticsTypes().contains("user.email_verified")) == true
                })
            #expect(try await analyticsTypes().contains("user.email_verification_requested") == false)
        }
    }
}
