import Access
import Contracts
import Cryptography
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Own password and the organization's users")
struct UsersTests {
    /// Adds a user with `role` to the organization and logs them in; answers their principal.
    static func member(
        of organization: Identity.Organization, role: String, fixture: IdentityFixture
    ) async throws -> Principal {
        let email = "\(IdentityFixture.unique(role))@example.com"
        let hash = try PasswordHasher(parameters: .testing).hash("member password")
        try await fixture.database.execute(
            "INSERT INTO users (organization_id, email, password_hash, full_name, role) VALUES ($1, $2, $3, 'M', $4)",
            [UUID(uuidString: organization.id)!, email, hash, role])
        let login = try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(email: email, password: "member password", client: .init(ipAddress: email)))
        return try await fixture.principal(for: try #require(login.tokens).accessToken)
    }

    @Test("changing the password needs the current one, keeps this session and revokes the others")
    func changePassword() async throws {
        let fixture = try await IdentityFixture.shared()
        let (signUp, email, password) = try await fixture.signUp()
        let current = try #require(signUp.tokens)
        let other = try #require(
            try await fixture.call(
                Identity.Service.logIn,
                Identity.LogInRequest(email: email, password: password, client: .init(ipAddress: email))
            ).tokens)
        let principal = try await fixture.principal(for: current.accessToken)

        let wrong = await fixture.failure {
            try await fixture.call(
                Identity.Service.changePassword,
                Identity.ChangePasswordRequest(currentPassword: "not the password", newPassword: "a brand new secret"),
                as: principal)
        }
        #expect(wrong == .invalidArgument)
        #expect(try await fixture.auditCount("password.change_failed", userID: principal.userId) == 1)
        let short = await fixture.failure {
            try await fixture.call(
                Identity.Service.changePassword,
                Identity.ChangePasswordRequest(currentPassword: password, newPassword: "short"), as: principal)
        }
        #expect(short == .invalidArgument)

        let changed = try await fixture.call(
            Identity.Service.changePassword,
            Identity.ChangePasswordRequest(
                currentPassword: password, newPassword: "a brand new secret", currentSessionId: current.sessionId),
            as: principal)
        #expect(changed.revokedSessions == 1)
        #expect(try await fixture.principal(for: current.accessToken).userId == principal.userId)
        #expect(await fixture.failure { try await fixture.principal(for: other.accessToken) } == .unauthenticated)
        let address = Identity.ClientInfo(ipAddress: "pw-\(UUID())")
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.logIn, Identity.LogInRequest(email: email, password: password, client: address))
            } == .unauthenticated)
        let relogin = try await fixture.call(
            Identity.Service.logIn, Identity.LogInRequest(email: email, password: "a brand new secret", client: address)
        )
        #expect(relogin.tokens != nil)
    }

    @Test("admins and managers list their own organization's users; consultants may not")
    func listUsersByRole() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let organization = try #require(signUp.organization)
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let manager = try await Self.member(of: organization, role: "manager", fixture: fixture)
        let consultant = try await Self.member(of: organization, role: "consultant", fixture: fixture)
        _ = try await fixture.signUp()  // another tenant, never listed

        for principal in [admin, manager] {
            let listed = try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: principal)
            #expect(Set(listed.users.map(\.id)) == [admin.userId, manager.userId, consultant.userId])
            #expect(listed.users.allSatisfy { $0.organizationId == organization.id })
        }
        let refused = await fixture.failure {
            try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: consultant)
        }
        #expect(refused == .permissionDenied)
    }
}
