import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Invitations: users:write, the plan's max_users, single-use tokens")
struct InvitationTests {
    func invite(
        _ fixture: IdentityFixture, as principal: Principal, role: String = "consultant", email: String? = nil
    ) async throws -> Identity.InviteUserResponse {
        try await fixture.call(
            Identity.Service.inviteUser,
            Identity.InviteUserRequest(
                email: email ?? "\(IdentityFixture.unique("invitee"))@example.com", fullName: "Ivy Invitee", role: role),
            as: principal)
    }

    func accept(
        _ fixture: IdentityFixture, _ token: String, password: String = "my own password"
    )
        async throws -> Identity.AcceptInvitationResponse
    {
        try await fixture.call(
            Identity.Service.acceptInvitation,
            Identity.AcceptInvitationRequest(invitationToken: token, password: password))
    }

    @Test("an invited user cannot log in until they accept; accepting once opens a session and verifies the email")
    func inviteAndAccept() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let invited = try await invite(fixture, as: admin, role: "manager")
        let user = try #require(invited.user)
        #expect(user.role == "manager" && user.organizationId == signUp.organization!.id && !user.emailVerified)
        #expect(invited.invitationToken.count == 43 && invited.expiresIn == 7 * 24 * 3600)

        let early = await fixture.failure {
            try await fixture.call(
                Identity.Service.logIn,
                Identity.LogInRequest(email: user.email, password: "!", client: .init(ipAddress: user.email)))
        }
        #expect(early == .invalidArgument || early == .unauthenticated)

        let accepted = try await accept(fixture, invited.invitationToken)
        #expect(accepted.user?.id == user.id && accepted.user?.emailVerified == true)
        let principal = try await fixture.principal(for: try #require(accepted.tokens).accessToken)
        #expect(principal.role == "manager" && principal.organizationId == signUp.organization!.id)
        #expect(await fixture.failure { try await accept(fixture, invited.invitationToken) } == .unauthenticated)
        let login = try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(email: user.email, password: "my own password", client: .init(ipAddress: user.email)))
        #expect(login.tokens != nil)
    }

    @Test("the plan's max_users (3 on free) is enforced, counting the admin; the refusal names the limit")
    func planLimit() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        _ = try await invite(fixture, as: admin)
        _ = try await invite(fixture, as: admin)
        do {
            _ = try await invite(fixture, as: admin)
            Issue.record("a fourth user was accepted on a plan of 3")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted && error.message.contains("max_users is 3"))
        }
        let listed = try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: admin)
        #expect(listed.users.count == 3)
    }

    @Test("max_users 0 is no limit, as for the other plan limits; a positive limit applies again")
    func zeroIsNoLimit() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let organizationID = UUID(uuidString: signUp.organization!.id)!
        try await fixture.database.execute(
            "UPDATE organizations SET max_users = 0 WHERE id = $1", [organizationID])
        for _ in 1...4 { _ = try await invite(fixture, as: admin) }
        let listed = try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: admin)
        #expect(listed.users.count == 5)

        try await fixture.database.execute(
            "UPDATE organizations SET max_users = 5 WHERE id = $1", [organizationID])
        do {
            _ = try await invite(fixture, as: admin)
            Issue.record("a sixth user was accepted on a plan of 5")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted && error.message.contains("max_users is 5"))
        }
    }

    @Test("only roles with users:write invite; super_admin cannot be given; bad input is INVALID_ARGUMENT")
    func whoMayInvite() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let manager = try await UsersTests.member(of: signUp.organization!, role: "manager", fixture: fixture)
        #expect(await fixture.failure { try await invite(fixture, as: manager) } == .permissionDenied)
        #expect(await fixture.failure { try await invite(fixture, as: admin, role: "super_admin") } == .invalidArgument)
        #expect(await fixture.failure { try await invite(fixture, as: admin, email: "nope") } == .invalidArgument)
        #expect(await fixture.failure { try await accept(fixture, "garbage") } == .unauthenticated)
        #expect(await fixture.failure { try await accept(fixture, "garbage", password: "short") } == .invalidArgument)
    }

    @Test("an invitation into a suspended organization cannot be accepted")
    func suspendedOrganization() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let invited = try await invite(fixture, as: admin)
        try await fixture.database.execute(
            "UPDATE organizations SET status = 'suspended' WHERE id = $1", [UUID(uuidString: signUp.organization!.id)!])
        #expect(await fixture.failure { try await accept(fixture, invited.invitationToken) } == .unauthenticated)
    }
}
