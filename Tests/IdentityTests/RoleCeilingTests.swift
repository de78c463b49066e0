import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("users:write has a ceiling: no role above the caller's own, no change to a user above it")
struct RoleCeilingTests {
    /// A new organization's admin, and a manager of it holding the `users:write` grant.
    func organizationWithManager(
        _ fixture: IdentityFixture
    ) async throws -> (organization: Identity.Organization, admin: Principal, manager: Principal) {
        let signUp = try await fixture.signUp().response
        let organization = try #require(signUp.organization)
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        // No plan limit on users (0): these tests add more than the free plan's 3.
        try await fixture.database.execute(
            "UPDATE organizations SET max_users = 0 WHERE id = $1", [UUID(uuidString: organization.id)!])
        var manager = try await UsersTests.member(of: organization, role: "manager", fixture: fixture)
        _ = try await fixture.call(
            Identity.Service.updateUser,
            Identity.UpdateUserRequest(
                userId: manager.userId, grants: Identity.PermissionGrants(permissions: ["users:write"])),
            as: admin)
        // What the gateway would now put in the manager's principal.
        manager.grants = ["users:write"]
        return (organization, admin, manager)
    }

    /// The refusal's code and message, or nil when `body` succeeded.
    func refusal<Output: Sendable>(_ body: () async throws -> Output) async -> (RPCError.Code, String)? {
        do {
            _ = try await body()
            return nil
        } catch let error as RPCError {
            return (error.code, error.message)
        } catch {
            return (.unknown, "\(error)")
        }
    }

    func invite(_ fixture: IdentityFixture, role: String, as principal: Principal) async throws -> Identity.User? {
        try await fixture.call(
            Identity.Service.inviteUser,
            Identity.InviteUserRequest(
                email: "\(IdentityFixture.unique("invitee"))@example.com", fullName: "Ivy Invitee", role: role),
            as: principal
        ).user
    }

    @Test("a manager with users:write invites consultants and managers, not admins; an admin invites admins")
    func invitations() async throws {
        let fixture = try await IdentityFixture.shared()
        let (_, admin, manager) = try await organizationWithManager(fixture)
        let refused = try #require(await refusal { try await invite(fixture, role: "admin", as: manager) })
        #expect(refused.0 == .permissionDenied)
        #expect(refused.1 == "your role may not give a role above your own (admin is above manager)")
        #expect(try await invite(fixture, role: "consultant", as: manager)?.role == "consultant")
        #expect(try await invite(fixture, role: "manager", as: manager)?.role == "manager")
        #expect(try await invite(fixture, role: "admin", as: admin)?.role == "admin")
        // Without the grant a manager may not invite at all.
        var plain = manager
        plain.grants = []
        #expect(await refusal { try await invite(fixture, role: "consultant", as: plain) }?.0 == .permissionDenied)
    }

    @Test("a manager with users:write cannot promote to admin nor change, deactivate or delete an admin")
    func changes() async throws {
        let fixture = try await IdentityFixture.shared()
        let (organization, admin, manager) = try await organizationWithManager(fixture)
        let consultant = try await UsersTests.member(of: organization, role: "consultant", fixture: fixture)
        let otherAdmin = try await UsersTests.member(of: organization, role: "admin", fixture: fixture)

        let promotion = try #require(
            await refusal { try await fixture.updateUser(consultant.userId, role: "admin", as: manager) })
        #expect(promotion.0 == .permissionDenied)
        for attempt in [(role: "consultant", status: nil), (role: nil, status: "inactive")] as [(String?, String?)] {
            let refused = try #require(
                await refusal {
                    try await fixture.updateUser(otherAdmin.userId, role: attempt.0, status: attempt.1, as: manager)
                })
            #expect(refused.0 == .permissionDenied)
            #expect(
                refused.1
                    == "your role may not change, deactivate or delete a user whose role is above your own (admin)")
        }
        let deletion = await refusal {
            try await fixture.call(
                Identity.Service.deleteUser, Identity.DeleteUserRequest(userId: otherAdmin.userId), as: manager)
        }
        #expect(deletion?.0 == .permissionDenied)
        // The admin is untouched: still an active admin who can act.
        let untouched = try await fixture.call(Identity.Service.listUsers, .init(), as: admin).users
            .first { $0.id == otherAdmin.userId }
        #expect(untouched?.role == "admin" && untouched?.status == "active")

        // At or below the manager's own role, everything is allowed.
        #expect(try await fixture.updateUser(consultant.userId, role: "manager", as: manager)?.role == "manager")
        #expect(try await fixture.updateUser(consultant.userId, role: "consultant", as: manager)?.role == "consultant")
        #expect(try await fixture.updateUser(consultant.userId, status: "inactive", as: manager)?.status == "inactive")
        #expect(try await fixture.updateUser(consultant.userId, status: "active", as: manager)?.status == "active")
        _ = try await fixture.call(
            Identity.Service.deleteUser, Identity.DeleteUserRequest(userId: consultant.userId), as: manager)

        // Another organization's user is still 404 before any ceiling applies.
        let (_, _, stranger) = try await organizationWithManager(fixture)
        #expect(
            await refusal { try await fixture.updateUser(stranger.userId, role: "consultant", as: manager) }?.0
                == .notFound)
    }

    @Test("admins are unaffected: they promote to admin, demote and deactivate other admins")
    func adminsUnaffected() async throws {
        let fixture = try await IdentityFixture.shared()
        let (organization, admin, manager) = try await organizationWithManager(fixture)
        let otherAdmin = try await UsersTests.member(of: organization, role: "admin", fixture: fixture)
        #expect(try await fixture.updateUser(manager.userId, role: "admin", as: admin)?.role == "admin")
        #expect(try await fixture.updateUser(otherAdmin.userId, role: "manager", as: admin)?.role == "manager")
        #expect(try await fixture.updateUser(otherAdmin.userId, status: "inactive", as: admin)?.status == "inactive")
        _ = try await fixture.call(
            Identity.Service.deleteUser, Identity.DeleteUserRequest(userId: otherAdmin.userId), as: admin)
    }

    @Test("a grant is given only by someone who may do it: a manager with users:write cannot grant organization:write")
    func grantsOnlyWhatTheCallerMay() async throws {
        let fixture = try await IdentityFixture.shared()
        let (organization, admin, manager) = try await organizationWithManager(fixture)
        let consultant = try await UsersTests.member(of: organization, role: "consultant", fixture: fixture)
        func grant(_ permissions: [String], as principal: Principal) async -> (RPCError.Code, String)? {
            await refusal {
                try await fixture.call(
                    Identity.Service.updateUser,
                    Identity.UpdateUserRequest(
                        userId: consultant.userId, grants: Identity.PermissionGrants(permissions: permissions)),
                    as: principal)
            }
        }
        let refused = await grant(["organization:write"], as: manager)
        #expect(refused?.0 == .permissionDenied && refused?.1.contains("organization:write") == true)
        // What the manager may do, the manager may grant; the admin may grant the rest.
        #expect(await grant(["analytics:read"], as: manager) == nil)
        #expect(await grant(["analytics:read", "organization:write"], as: admin) == nil)
        // Keeping a grant the manager could not give is allowed; adding another is not.
        #expect(await grant(["organization:write"], as: manager) == nil)
        #expect(await grant(["organization:write", "channels:manage"], as: manager)?.0 == .permissionDenied)
        let stored = try await fixture.database.withConnection {
            try await UserStore.grants(id: UUID(uuidString: consultant.userId)!, on: $0)
        }
        #expect(stored == ["organization:write"])
    }
}
