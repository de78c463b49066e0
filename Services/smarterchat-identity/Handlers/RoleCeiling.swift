import Access
import RPC

/// The ceiling on `users:write`: a caller may not give a role above their own, nor change,
/// deactivate or delete a user whose role is above their own (super_admin > admin > manager
/// > consultant; docs/permissions.md).
///
/// `users:write` comes with admin, but it may also be granted to a manager (per-user grants)
/// and carried by an API key; without the ceiling such a caller could invite an admin,
/// promote a colleague to admin, or demote and deactivate the organization's admins.
enum RoleCeiling {
    /// Higher is more powerful; a role the code does not know ranks below every role.
    static func rank(_ role: String) -> Int {
        switch Role(rawValue: role) {
        case .superAdmin: 4
        case .admin: 3
        case .manager: 2
        case .consultant: 1
        case nil: 0
        }
    }

    /// `PERMISSION_DENIED` when `role` is above the caller's own.
    static func requireMayGive(_ role: String, caller: AuthenticatedUser) throws {
        guard rank(role) <= rank(caller.role) else {
            throw RPCError(
                .permissionDenied, "your role may not give a role above your own (\(role) is above \(caller.role))")
        }
    }

    /// `PERMISSION_DENIED` when the target user's role is above the caller's own.
    static func requireMayManage(userWithRole target: String, caller: AuthenticatedUser) throws {
        guard rank(target) <= rank(caller.role) else {
            throw RPCError(
                .permissionDenied,
                "your role may not change, deactivate or delete a user whose role is above your own (\(target))")
        }
    }
}
