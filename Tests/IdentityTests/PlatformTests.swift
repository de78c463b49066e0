import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Platform operations: super_admin with 2FA on only")
struct PlatformTests {
    @Test("a super_admin needs 2FA on; then lists organizations and suspends one, whose tokens stop working")
    func superAdminSuspends() async throws {
        let fixture = try await IdentityFixture.shared()
        let platform = try await fixture.signUp().response
        let operatorPrincipal = try await UsersTests.member(
            of: platform.organization!, role: "super_admin", fixture: fixture)
        let customer = try await fixture.signUp().response
        let customerToken = customer.tokens!.accessToken
        let list = { @Sendable (principal: Principal) async -> RPCError.Code? in
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.listOrganizations, Identity.ListOrganizationsRequest(), as: principal)
            }
        }
        #expect(await list(operatorPrincipal) == .permissionDenied)
        try await fixture.database.execute(
            "UPDATE users SET two_factor_enabled = TRUE WHERE id = $1", [UUID(uuidString: operatorPrincipal.userId)!])
        let listed = try await fixture.call(
            Identity.Service.listOrganizations, Identity.ListOrganizationsRequest(), as: operatorPrincipal)
        #expect(listed.organizations.contains { $0.id == customer.organization!.id })

        let suspended = try await fixture.call(
            Identity.Service.updateOrganization,
            Identity.UpdateOrganizationRequest(
                organizationId: customer.organization!.id, status: "suspended", plan: "starter", maxUsers: 10),
            as: operatorPrincipal)
        #expect(suspended.organization?.status == "suspended" && suspended.organization?.plan == "starter")
        #expect(suspended.organization?.maxUsers == 10 && suspended.organization?.maxAgents == 1)
        #expect(await fixture.failure { try await fixture.principal(for: customerToken) } == .unauthenticated)

        let bad = await fixture.failure {
            try await fixture.call(
                Identity.Service.updateOrganization,
                Identity.UpdateOrganizationRequest(organizationId: customer.organization!.id, status: "gone"),
                as: operatorPrincipal)
        }
        #expect(bad == .invalidArgument)
        let missing = await fixture.failure {
            try await fixture.call(
                Identity.Service.updateOrganization,
                Identity.UpdateOrganizationRequest(organizationId: UUID().uuidString, status: "active"),
                as: operatorPrincipal)
        }
        #expect(missing == .notFound)
    }

    @Test("an organization admin, even with 2FA on, cannot use platform operations")
    func adminRefused() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        try await fixture.database.execute(
            "UPDATE users SET two_factor_enabled = TRUE WHERE id = $1", [UUID(uuidString: admin.userId)!])
        let refused = await fixture.failure {
            try await fixture.call(
                Identity.Service.updateOrganization,
                Identity.UpdateOrganizationRequest(organizationId: signUp.organization!.id, plan: "enterprise"),
                as: admin)
        }
        #expect(refused == .permissionDenied)
        let me = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: admin)
        #expect(me.organization?.plan == "free")
    }
}
