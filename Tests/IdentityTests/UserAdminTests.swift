import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Admins manage their organization's users; other tenants' ids are 404")
struct UserAdminTests {
    @Test("changing a role; deactivating ends sessions and logins; reactivating restores logins")
    func roleAndStatus() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let member = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        let promoted = try await fixture.updateUser(member.userId, role: "manager", as: admin)
        #expect(promoted?.role == "manager" && promoted?.status == "active")

        let email = try #require(promoted?.email)
        let login = try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(email: email, password: "member password", client: .init(ipAddress: email)))
        let token = try #require(login.tokens).accessToken
        #expect(try await fixture.principal(for: token).role == "manager")
        _ = try await fixture.updateUser(member.userId, status: "inactive", as: admin)
        #expect(await fixture.failure { try await fixture.principal(for: token) } == .unauthenticated)
        let refused = await fixture.failure {
            try await fixture.call(
                Identity.Service.logIn,
                Identity.LogInRequest(email: email, password: "member password", client: .init(ipAddress: email)))
        }
        #expect(refused == .permissionDenied)
        _ = try await fixture.updateUser(member.userId, status: "active", as: admin)
        // Reactivation does not revive revoked sessions, but logging in works again.
        #expect(await fixture.failure { try await fixture.principal(for: token) } == .unauthenticated)
        let again = try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(email: email, password: "member password", client: .init(ipAddress: email)))
        #expect(again.tokens != nil)
    }

    @Test("bad values are INVALID_ARGUMENT; an admin cannot change or delete themselves")
    func rules() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let member = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        #expect(
            await fixture.failure { try await fixture.updateUser(member.userId, role: "super_admin", as: admin) }
                == .invalidArgument)
        #expect(
            await fixture.failure { try await fixture.updateUser(member.userId, status: "suspended", as: admin) }
                == .invalidArgument)
        #expect(
            await fixture.failure { try await fixture.updateUser(admin.userId, role: "consultant", as: admin) }
                == .failedPrecondition)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.deleteUser, Identity.DeleteUserRequest(userId: admin.userId), as: admin)
            } == .failedPrecondition)
        #expect(
            await fixture.failure { try await fixture.updateUser(admin.userId, role: "admin", as: member) }
                == .permissionDenied)
    }

    @Test("tenant isolation: another organization's user ids answer 404 and change nothing")
    func tenantIsolation() async throws {
        let fixture = try await IdentityFixture.shared()
        let victimSignUp = try await fixture.signUp().response
        let victim = try await UsersTests.member(of: victimSignUp.organization!, role: "consultant", fixture: fixture)
        let attacker = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        #expect(
            await fixture.failure { try await fixture.updateUser(victim.userId, role: "admin", as: attacker) }
                == .notFound
        )
        #expect(
            await fixture.failure { try await fixture.updateUser(victim.userId, status: "inactive", as: attacker) }
                == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.deleteUser, Identity.DeleteUserRequest(userId: victim.userId), as: attacker)
            } == .notFound)
        #expect(
            await fixture.failure { try await fixture.updateUser("not-a-uuid", role: "admin", as: attacker) }
                == .notFound)
        let limits = await fixture.failure {
            try await fixture.call(
                Identity.Service.getPlanLimits,
                Identity.GetPlanLimitsRequest(organizationId: victimSignUp.organization!.id),
                as: attacker)
        }
        #expect(limits == .notFound)
        let unchanged = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: victim)
        #expect(unchanged.user?.role == "consultant" && unchanged.user?.status == "active")
    }

    @Test("deleting a user hides them, ends their sessions and their logins")
    func softDelete() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let member = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        _ = try await fixture.call(
            Identity.Service.deleteUser, Identity.DeleteUserRequest(userId: member.userId), as: admin)
        let listed = try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: admin)
        #expect(listed.users.map(\.id) == [admin.userId])
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: member)
            } == .notFound)
        let rows = try await fixture.database.query(
            "SELECT 1 FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", [UUID(uuidString: member.userId)!])
        #expect(rows.isEmpty)
        #expect(
            await fixture.failure { try await fixture.updateUser(member.userId, role: "manager", as: admin) }
                == .notFound)
    }

    @Test("plan limits: a user reads their own organization's; a service may read any")
    func planLimits() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let own = try await fixture.call(Identity.Service.getPlanLimits, Identity.GetPlanLimitsRequest(), as: admin)
        #expect(own.organizationId == signUp.organization!.id && own.plan == "free")
        #expect(own.maxAgents == 1 && own.maxConversationsPerMonth == 100 && own.maxUsers == 3)
        let service = try await fixture.call(
            Identity.Service.getPlanLimits, Identity.GetPlanLimitsRequest(organizationId: signUp.organization!.id))
        #expect(service == own)
    }
}
