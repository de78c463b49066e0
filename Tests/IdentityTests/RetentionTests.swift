import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Retention of login attempts and sessions")
struct RetentionTests {
    @Test("old attempts and long-expired or long-revoked sessions go; live sessions and their rotated rows stay")
    func purgeKeepsWhatIsNeeded() async throws {
        let fixture = try await IdentityFixture.shared()
        let email = "\(IdentityFixture.unique("retention"))@example.com"
        try await fixture.database.execute(
            """
            INSERT INTO login_attempts (email, succeeded, attempted_at)
            VALUES ($1, false, CURRENT_TIMESTAMP - INTERVAL '2 days'), ($1, false, CURRENT_TIMESTAMP)
            """, [email])
        let live = try #require(try await fixture.signUp().response.tokens)
        let rotated = try #require(
            try await fixture.call(Identity.Service.refresh, Identity.RefreshRequest(refreshToken: live.refreshToken))
                .tokens)
        let expired = try #require(try await fixture.signUp().response.tokens)
        let revoked = try #require(try await fixture.signUp().response.tokens)
        try await fixture.database.execute(
            "UPDATE sessions SET refresh_expires_at = CURRENT_TIMESTAMP - INTERVAL '2 days' WHERE family_id = $1",
            [UUID(uuidString: expired.sessionId)!])
        try await fixture.database.execute(
            "UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP - INTERVAL '8 days' WHERE family_id = $1",
            [UUID(uuidString: revoked.sessionId)!])

        _ = try await fixture.database.withConnection { try await IdentityRetention.purge(on: $0) }

        let attempts = try await fixture.database.query("SELECT 1 FROM login_attempts WHERE email = $1", [email])
        #expect(attempts.count == 1)
        func rows(_ session: String) async throws -> Int {
            try await fixture.database.query(
                "SELECT 1 FROM sessions WHERE family_id = $1", [UUID(uuidString: session)!]
            ).count
        }
        #expect(try await rows(live.sessionId) == 2)
        #expect(try await rows(expired.sessionId) == 0)
        #expect(try await rows(revoked.sessionId) == 0)
        // The rotated row survived, so reusing the first refresh token is still recognised.
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.refresh, Identity.RefreshRequest(refreshToken: live.refreshToken))
            } == .unauthenticated)
        #expect(await fixture.failure { try await fixture.principal(for: rotated.accessToken) } == .unauthenticated)
    }
}
