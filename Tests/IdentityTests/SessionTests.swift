import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Sessions: validation, refresh rotation, reuse detection, listing and revocation")
struct SessionTests {
    func refresh(_ fixture: IdentityFixture, _ token: String) async throws -> Identity.TokenPair {
        try #require(
            try await fixture.call(Identity.Service.refresh, Identity.RefreshRequest(refreshToken: token)).tokens)
    }

    @Test("refresh rotates both tokens in the same session; the old access token stops working")
    func refreshRotates() async throws {
        let fixture = try await IdentityFixture.shared()
        let first = try #require(try await fixture.signUp().response.tokens)
        let second = try await refresh(fixture, first.refreshToken)
        #expect(second.sessionId == first.sessionId)
        #expect(second.accessToken != first.accessToken && second.refreshToken != first.refreshToken)
        #expect(await fixture.failure { try await fixture.principal(for: first.accessToken) } == .unauthenticated)
        #expect(try await fixture.principal(for: second.accessToken).userId.isEmpty == false)
        let third = try await refresh(fixture, second.refreshToken)
        #expect(third.sessionId == first.sessionId)
    }

    @Test("a reused refresh token revokes the whole session, newest tokens included, and is audited")
    func reuseRevokesFamily() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let first = try #require(signUp.tokens)
        let second = try await refresh(fixture, first.refreshToken)
        #expect(await fixture.failure { try await refresh(fixture, first.refreshToken) } == .unauthenticated)
        #expect(await fixture.failure { try await fixture.principal(for: second.accessToken) } == .unauthenticated)
        #expect(await fixture.failure { try await refresh(fixture, second.refreshToken) } == .unauthenticated)
        #expect(try await fixture.auditCount("session.refresh_reused", userID: signUp.user!.id) == 1)
    }

    @Test("garbage tokens are UNAUTHENTICATED; an empty refresh token is INVALID_ARGUMENT")
    func garbageTokens() async throws {
        let fixture = try await IdentityFixture.shared()
        #expect(await fixture.failure { try await fixture.principal(for: "nope") } == .unauthenticated)
        #expect(await fixture.failure { try await fixture.principal(for: "") } == .unauthenticated)
        #expect(await fixture.failure { try await refresh(fixture, "nope") } == .unauthenticated)
        #expect(await fixture.failure { try await refresh(fixture, "") } == .invalidArgument)
    }

    @Test("GetMe answers the principal's user and organization; without a principal UNAUTHENTICATED")
    func getMe() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let principal = try await fixture.principal(for: signUp.tokens!.accessToken)
        let me = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: principal)
        #expect(me.user == signUp.user && me.organization == signUp.organization)
        #expect(
            await fixture.failure { try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest()) }
                == .unauthenticated)
    }

    @Test("a user lists their live sessions, the current one flagged, and revokes one")
    func listAndRevoke() async throws {
        let fixture = try await IdentityFixture.shared()
        let (signUp, email, password) = try await fixture.signUp()
        let first = try #require(signUp.tokens)
        let login = try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(
                email: email, password: password, client: .init(ipAddress: "203.0.113.9", userAgent: "phone")))
        let second = try #require(login.tokens)
        let principal = try await fixture.principal(for: first.accessToken)
        let listed = try await fixture.call(
            Identity.Service.listSessions, Identity.ListSessionsRequest(currentSessionId: first.sessionId),
            as: principal)
        #expect(Set(listed.sessions.map(\.id)) == [first.sessionId, second.sessionId])
        #expect(listed.sessions.filter(\.current).map(\.id) == [first.sessionId])
        #expect(listed.sessions.first { $0.id == second.sessionId }?.userAgent == "phone")

        _ = try await fixture.call(
            Identity.Service.revokeSession, Identity.RevokeSessionRequest(sessionId: second.sessionId), as: principal)
        #expect(await fixture.failure { try await fixture.principal(for: second.accessToken) } == .unauthenticated)
        #expect(await fixture.failure { try await refresh(fixture, second.refreshToken) } == .unauthenticated)
        let after = try await fixture.call(Identity.Service.listSessions, Identity.ListSessionsRequest(), as: principal)
        #expect(after.sessions.map(\.id) == [first.sessionId])
    }

    @Test("another tenant's session id answers NOT_FOUND and stays live")
    func tenantIsolation() async throws {
        let fixture = try await IdentityFixture.shared()
        let victim = try #require(try await fixture.signUp().response.tokens)
        let attacker = try await fixture.principal(
            for: try #require(try await fixture.signUp().response.tokens).accessToken)
        let code = await fixture.failure {
            try await fixture.call(
                Identity.Service.revokeSession, Identity.RevokeSessionRequest(sessionId: victim.sessionId), as: attacker
            )
        }
        #expect(code == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.revokeSession, Identity.RevokeSessionRequest(sessionId: "not-a-uuid"), as: attacker
                )
            } == .notFound)
        #expect(try await fixture.principal(for: victim.accessToken).userId.isEmpty == false)
        let listed = try await fixture.call(Identity.Service.listSessions, Identity.ListSessionsRequest(), as: attacker)
        #expect(!listed.sessions.contains { $0.id == victim.sessionId })
        // A forged principal naming the victim's user but the attacker's organization finds nothing.
        let victimUser = try await fixture.principal(for: victim.accessToken).userId
        var forged = attacker
        forged.userId = victimUser
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: forged)
            } == .notFound)
    }
}
