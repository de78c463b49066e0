import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Email verification: a single-use token handed out through an outbox event")
struct EmailVerificationTests {
    /// The tokens of `user.email_verification_requested` events for `userID`, oldest first.
    static func issuedTokens(_ fixture: IdentityFixture, userID: String) async throws -> [String] {
        let rows = try await fixture.database.query(
            """
            SELECT payload->>'token' AS token FROM outbox
            WHERE event_type = 'user.email_verification_requested' AND aggregate_id = $1
            ORDER BY sequence
            """, [UUID(uuidString: userID)!])
        return try rows.map { try $0.decode(String.self, "token") }
    }

    @Test("sign up writes organization.created, user.created and a verification event whose token verifies once")
    func signUpTokenVerifiesOnce() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let user = try #require(signUp.user)
        #expect(!user.emailVerified)
        let types = try await fixture.database.query(
            "SELECT event_type FROM outbox WHERE organization_id = $1 ORDER BY sequence",
            [UUID(uuidString: user.organizationId)!]
        ).map { try $0.decode(String.self, "event_type") }
        #expect(types == ["organization.created", "user.created", "user.email_verification_requested"])

        let token = try #require(try await Self.issuedTokens(fixture, userID: user.id).first)
        #expect(token.count == 43)
        // Only the hash is stored with the user.
        let stored = try await fixture.database.query(
            "SELECT count(*)::bigint AS n FROM user_tokens WHERE token_hash = $1", [SessionStore.hash(token)])
        #expect(try stored.firstRow?.decode(Int64.self, "n") == 1)

        let verified = try await fixture.call(Identity.Service.verifyEmail, Identity.VerifyEmailRequest(token: token))
        #expect(verified.userId == user.id && verified.email == user.email)
        let principal = try await fixture.principal(for: signUp.tokens!.accessToken)
        #expect(
            try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: principal).user?.emailVerified
                == true)
        // Single use.
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.verifyEmail, Identity.VerifyEmailRequest(token: token))
            } == .notFound)
        // Already verified: no new token.
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.requestEmailVerification, Identity.RequestEmailVerificationRequest(), as: principal
                )
            } == .failedPrecondition)
    }

    @Test("a new request ends the earlier token; unknown and empty tokens are refused")
    func reissueEndsEarlierToken() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let principal = try await fixture.principal(for: signUp.tokens!.accessToken)
        let response = try await fixture.call(
            Identity.Service.requestEmailVerification, Identity.RequestEmailVerificationRequest(), as: principal)
        #expect(!response.expiresAt.isEmpty)
        let tokens = try await Self.issuedTokens(fixture, userID: signUp.user!.id)
        #expect(tokens.count == 2 && tokens[0] != tokens[1])
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.verifyEmail, Identity.VerifyEmailRequest(token: tokens[0]))
            } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.verifyEmail, Identity.VerifyEmailRequest(token: "nope"))
            } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.verifyEmail, Identity.VerifyEmailRequest(token: ""))
            } == .invalidArgument)
        _ = try await fixture.call(Identity.Service.verifyEmail, Identity.VerifyEmailRequest(token: tokens[1]))
        // Without a principal the request is UNAUTHENTICATED.
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.requestEmailVerification, Identity.RequestEmailVerificationRequest())
            } == .unauthenticated)
    }
}
