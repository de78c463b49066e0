import Access
import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Per-user permission grants and the users other services may assign")
struct GrantsTests {
    @Test("a grant adds a permission to a role; it travels in the principal; removing it takes it away")
    func grantAddsPermission() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let member = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        #expect(!(try AuthenticatedCaller(member).may(.analyticsRead)))

        let updated = try await fixture.call(
            Identity.Service.updateUser,
            Identity.UpdateUserRequest(
                userId: member.userId,
                grants: Identity.PermissionGrants(permissions: ["analytics:read", "users:read", "analytics:read"])),
            as: admin
        ).user
        #expect(updated?.grants == ["analytics:read", "users:read"])
        let login = try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(email: updated!.email, password: "member password", client: .init(ipAddress: "g1")))
        let granted = try await fixture.principal(for: login.tokens!.accessToken)
        #expect(granted.grants == ["analytics:read", "users:read"])
        let caller = try AuthenticatedCaller(granted)
        #expect(caller.may(.analyticsRead) && caller.may(.usersRead) && !caller.may(.usersWrite))
        // users:read granted: the consultant may now list users (refused before).
        #expect(
            await fixture.failure { try await fixture.call(Identity.Service.listUsers, .init(), as: member) }
                == .permissionDenied)
        _ = try await fixture.call(Identity.Service.listUsers, .init(), as: granted)

        _ = try await fixture.call(
            Identity.Service.updateUser,
            Identity.UpdateUserRequest(userId: member.userId, grants: Identity.PermissionGrants(permissions: [])),
            as: admin)
        #expect(try await fixture.principal(for: login.tokens!.accessToken).grants.isEmpty)
    }

    @Test("unknown and role-only permissions cannot be granted; an API key still needs the scope")
    func grantRules() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let member = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        for refused in ["platform:organizations", "api_keys:manage", "everything", ""] {
            #expect(
                await fixture.failure {
                    try await fixture.call(
                        Identity.Service.updateUser,
                        Identity.UpdateUserRequest(
                            userId: member.userId, grants: Identity.PermissionGrants(permissions: [refused])),
                        as: admin)
                } == .invalidArgument)
        }
        var key = Principal(
            organizationId: member.organizationId, userId: member.userId, role: "consultant", apiKeyId: "k",
            scopes: ["leads:read"], grants: ["analytics:read"])
        #expect(!(try AuthenticatedCaller(key).may(.analyticsRead)))
        key.scopes.append("analytics:read")
        #expect(try AuthenticatedCaller(key).may(.analyticsRead))
    }

    @Test("ListAssignableUsers: active users of that organization only, for services, not the gateway")
    func assignableUsers() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let organization = try #require(signUp.organization)
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let active = try await UsersTests.member(of: organization, role: "consultant", fixture: fixture)
        let inactive = try await UsersTests.member(of: organization, role: "manager", fixture: fixture)
        _ = try await fixture.call(
            Identity.Service.updateUser, Identity.UpdateUserRequest(userId: inactive.userId, status: "inactive"),
            as: admin)
        _ = try await fixture.signUp()  // another organization's users never appear

        let request = Identity.ListAssignableUsersRequest(organizationId: organization.id)
        let response = try await fixture.client.call(
            Identity.Service.listAssignableUsers, request,
            metadata: CallMetadata(requestID: "t", caller: "conversations"), timeout: .seconds(10))
        #expect(Set(response.users.map(\.id)) == [admin.userId, active.userId])
        #expect(response.users.map(\.id) == response.users.map(\.id).sorted())
        #expect(response.timeZone == "America/Sao_Paulo")
        #expect(response.returnToAiAfterMinutes == 0)
        #expect(
            await fixture.failure { try await fixture.call(Identity.Service.listAssignableUsers, request, as: admin) }
                == .permissionDenied)

        // The organization's return-to-AI setting travels with the users (0 when invalid).
        // Written straight to the table: UpdateOrganizationSettings now refuses the invalid
        // ones, but rows stored before that rule may still hold them.
        for (setting, minutes) in [("15", Int32(15)), ("0", 0), ("\"15\"", 0), ("10081", 0), ("2.5", 0)] {
            try await fixture.database.execute(
                "UPDATE organizations SET settings = $2 WHERE id = $1",
                [
                    UUID(uuidString: organization.id)!,
                    PostgresJSON(text: #"{"conversations":{"return_to_ai_after_minutes":"# + setting + "}}"),
                ])
            let again = try await fixture.client.call(
                Identity.Service.listAssignableUsers, request,
                metadata: CallMetadata(requestID: "t", caller: "conversations"), timeout: .seconds(10))
            #expect(again.returnToAiAfterMinutes == minutes, "\(setting)")
        }
    }

    @Test("GetUserNames: names of the organization's users whatever their status, for services only")
    func userNames() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let organization = try #require(signUp.organization)
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let inactive = try await UsersTests.member(of: organization, role: "manager", fixture: fixture)
        _ = try await fixture.call(
            Identity.Service.updateUser, Identity.UpdateUserRequest(userId: inactive.userId, status: "inactive"),
            as: admin)
        let stranger = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        let request = Identity.GetUserNamesRequest(
            organizationId: organization.id, userIds: [admin.userId, inactive.userId, stranger.userId])
        let response = try await fixture.client.call(
            Identity.Service.getUserNames, request, metadata: CallMetadata(requestID: "t", caller: "conversations"),
            timeout: .seconds(10))
        // The deactivated user keeps their name; another organization's user is left out.
        #expect(Set(response.users.map(\.id)) == [admin.userId, inactive.userId])
        #expect(response.users.allSatisfy { !$0.fullName.isEmpty })
        #expect(
            await fixture.failure { try await fixture.call(Identity.Service.getUserNames, request, as: admin) }
                == .permissionDenied)
        let bad = Identity.GetUserNamesRequest(organizationId: organization.id, userIds: ["not-a-uuid"])
        #expect(
            await fixture.failure {
                try await fixture.client.call(
                    Identity.Service.getUserNames, bad, metadata: CallMetadata(requestID: "t", caller: "conversations"),
                    timeout: .seconds(10))
            } == .invalidArgument)
    }

    @Test("ListAssignableUsers leaves out an invited user until they accept the invitation")
    func pendingInviteeNotAssignable() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let organization = try #require(signUp.organization)
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let invited = try await fixture.call(
            Identity.Service.inviteUser,
            Identity.InviteUserRequest(
                email: "\(IdentityFixture.unique("invitee"))@example.com", fullName: "Ivy Invitee", role: "consultant"),
            as: admin)
        let inviteeID = try #require(invited.user).id
        #expect(invited.user?.status == "active")

        let assignable = { @Sendable () async throws -> Set<String> in
            let response = try await fixture.client.call(
                Identity.Service.listAssignableUsers,
                Identity.ListAssignableUsersRequest(organizationId: organization.id),
                metadata: CallMetadata(requestID: "t", caller: "conversations"), timeout: .seconds(10))
            return Set(response.users.map(\.id))
        }
        #expect(try await assignable() == [admin.userId])

        _ = try await fixture.call(
            Identity.Service.acceptInvitation,
            Identity.AcceptInvitationRequest(
                invitationToken: invited.invitationToken, password: "ivy's own password",
                client: .init(ipAddress: "invitee")))
        #expect(try await assignable() == [admin.userId, inviteeID])
    }
}
