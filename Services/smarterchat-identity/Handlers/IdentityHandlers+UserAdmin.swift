import Access
import Contracts
import Foundation
import Postgres
import RPC

/// UpdateUser, DeleteUser, GetPlanLimits: an admin managing the organization's users, and
/// the plan limits other services enforce.
extension IdentityHandlers {
    /// The statuses an admin may set (suspended is the platform's).
    static let settableStatuses: Set<String> = ["active", "inactive"]

    /// Another organization's user id, a super_admin, or a deleted user answers NOT_FOUND; a
    /// role above the caller's own, given or held by the target, PERMISSION_DENIED
    /// (``RoleCeiling``).
    func updateUser(
        _ request: Identity.UpdateUserRequest, _ context: RPCContext
    ) async throws
        -> Identity.UpdateUserResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.usersWrite)
        guard let userID = UUID(canonicalText: request.userId) else { throw RPCError(.notFound, "user not found") }
        if let role = request.role, !Self.invitableRoles.contains(role) {
            throw RPCError(.invalidArgument, "role must be admin, manager or consultant")
        }
        if let status = request.status, !Self.settableStatuses.contains(status) {
            throw RPCError(.invalidArgument, "status must be active or inactive")
        }
        let grants = try request.grants.map { try Self.validatedGrants($0.permissions) }
        guard userID != caller.userID else {
            throw RPCError(.failedPrecondition, "you cannot change your own role or status")
        }
        if let role = request.role { try RoleCeiling.requireMayGive(role, caller: caller) }
        let user = try await database.withTransaction { connection in
            guard
                let current = try await UserStore.lockRole(
                    id: userID, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "user not found") }
            try RoleCeiling.requireMayManage(userWithRole: current, caller: caller)
            if let grants {
                // A grant the user does not hold yet is given only by someone who may do it.
                let held = Set(try await UserStore.grants(id: userID, on: connection))
                for name in grants where !held.contains(name) {
                    guard let permission = Permission(rawValue: name), caller.may(permission) else {
                        throw RPCError(.permissionDenied, "you may only grant what you may do yourself (\(name))")
                    }
                }
            }
            guard
                let user = try await UserStore.update(
                    id: userID, organizationID: caller.organizationID, role: request.role, status: request.status,
                    grants: grants, on: connection)
            else { throw RPCError(.notFound, "user not found") }
            if request.status == "inactive" {
                try await SessionStore.revokeOthers(
                    userID: userID, keeping: nil, reason: "user_deactivated", on: connection)
            }
            try await AuditLog.record(
                .userUpdated, organizationID: caller.organizationID, userID: caller.userID, client: nil,
                details: [
                    "target_user_id": user.id, "role": user.role, "status": user.status,
                    "grants": user.grants.joined(separator: " "),
                ], on: connection)
            return user
        }
        return Identity.UpdateUserResponse(user: user)
    }

    /// The grants as stored: known, grantable permissions, deduplicated and sorted.
    static func validatedGrants(_ permissions: [String]) throws -> [String] {
        var valid: Set<String> = []
        for name in permissions {
            guard let permission = Permission(rawValue: name) else {
                throw RPCError(.invalidArgument, "unknown permission \"\(name.prefix(64))\"; see docs/permissions.md")
            }
            guard permission.isGrantable else {
                throw RPCError(.invalidArgument, "\(name) cannot be granted; it comes with a role only")
            }
            valid.insert(name)
        }
        return valid.sorted()
    }

    /// As ``updateUser(_:_:)``: NOT_FOUND for a user the caller cannot see, PERMISSION_DENIED
    /// for one whose role is above the caller's own.
    func deleteUser(
        _ request: Identity.DeleteUserRequest, _ context: RPCContext
    ) async throws
        -> Identity.DeleteUserResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.usersWrite)
        guard let userID = UUID(canonicalText: request.userId) else { throw RPCError(.notFound, "user not found") }
        guard userID != caller.userID else { throw RPCError(.failedPrecondition, "you cannot delete yourself") }
        try await database.withTransaction { connection in
            guard
                let current = try await UserStore.lockRole(
                    id: userID, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "user not found") }
            try RoleCeiling.requireMayManage(userWithRole: current, caller: caller)
            guard try await UserStore.softDelete(id: userID, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "user not found") }
            try await SessionStore.revokeOthers(userID: userID, keeping: nil, reason: "user_deleted", on: connection)
            try await AuditLog.record(
                .userDeleted, organizationID: caller.organizationID, userID: caller.userID, client: nil,
                details: ["target_user_id": userID.lowercasedString], on: connection)
        }
        return Identity.DeleteUserResponse()
    }

    /// A user principal reads only their own organization's limits (another id: NOT_FOUND); a
    /// service acting on its own (no user in the principal) may read any organization's.
    func getPlanLimits(
        _ request: Identity.GetPlanLimitsRequest, _ context: RPCContext
    ) async throws
        -> Identity.GetPlanLimitsResponse
    {
        let principal = context.principal
        let requested = request.organizationId.isEmpty ? principal.organizationId : request.organizationId
        guard let organizationID = UUID(canonicalText: requested),
            principal.userId.isEmpty || requested.lowercased() == principal.organizationId.lowercased()
        else { throw RPCError(.notFound, "organization not found") }
        guard
            let organization = try await database.withConnection({ connection in
                try await OrganizationStore.find(id: organizationID, on: connection)
            })
        else { throw RPCError(.notFound, "organization not found") }
        return Identity.GetPlanLimitsResponse(
            organizationId: organization.id, plan: organization.plan, status: organization.status,
            maxAgents: organization.maxAgents, maxConversationsPerMonth: organization.maxConversationsPerMonth,
            maxUsers: organization.maxUsers)
    }
}
