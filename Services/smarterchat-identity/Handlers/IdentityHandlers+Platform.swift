import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ListOrganizations, UpdateOrganization: the platform operators' calls. They need the
/// `platform:organizations` permission (super_admin) and two-factor authentication on.
extension IdentityHandlers {
    static let organizationStatuses: Set<String> = ["active", "suspended", "cancelled"]
    static let plans: Set<String> = ["free", "starter", "professional", "enterprise"]

    /// `PERMISSION_DENIED` unless the caller is a super_admin whose 2FA is on (checked in the
    /// database at each call, not from the token).
    func requirePlatformOperator(_ context: RPCContext) async throws -> AuthenticatedUser {
        let caller = try AuthenticatedUser(context)
        try caller.require(.platformOrganizations)
        let account = try await database.withConnection { connection in
            try await UserStore.credentialsByID(caller.userID, on: connection)
        }
        guard let account, account.twoFactorEnabled else {
            throw RPCError(.permissionDenied, "platform operations need two-factor authentication on")
        }
        return caller
    }

    func listOrganizations(_ context: RPCContext) async throws -> Identity.ListOrganizationsResponse {
        _ = try await requirePlatformOperator(context)
        let organizations = try await database.withConnection { connection in
            try await OrganizationStore.list(on: connection)
        }
        return Identity.ListOrganizationsResponse(organizations: organizations)
    }

    func updateOrganization(
        _ request: Identity.UpdateOrganizationRequest, _ context: RPCContext
    ) async throws
        -> Identity.UpdateOrganizationResponse
    {
        let caller = try await requirePlatformOperator(context)
        guard let organizationID = UUID(canonicalText: request.organizationId) else {
            throw RPCError(.notFound, "organization not found")
        }
        if let status = request.status, !Self.organizationStatuses.contains(status) {
            throw RPCError(.invalidArgument, "status must be active, suspended or cancelled")
        }
        if let plan = request.plan, !Self.plans.contains(plan) {
            throw RPCError(.invalidArgument, "plan must be free, starter, professional or enterprise")
        }
        for limit in [request.maxAgents, request.maxConversationsPerMonth, request.maxUsers] {
            if let limit, limit < 0 { throw RPCError(.invalidArgument, "limits must not be negative") }
        }
        let organization = try await database.withTransaction { connection in
            guard
                let organization = try await OrganizationStore.update(
                    id: organizationID, request: request, on: connection)
            else { throw RPCError(.notFound, "organization not found") }
            try await AuditLog.record(
                .organizationUpdated, organizationID: organizationID, userID: caller.userID, client: nil,
                details: ["status": organization.status, "plan": organization.plan], on: connection)
            return organization
        }
        return Identity.UpdateOrganizationResponse(organization: organization)
    }
}
