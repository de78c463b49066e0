import Contracts
import Foundation
import Postgres  // UUID(canonicalText:): no sscanf per parse
import RPC

/// The organization and user a call is made for, read from the principal the gateway put in
/// the call's metadata; every service checks it against ``RolePermissions`` for what it owns.
public struct AuthenticatedCaller: Sendable {
    /// The tenant: every query of the call is scoped by it.
    public var organizationID: UUID
    public var userID: UUID
    /// As stored in `users.role` (`super_admin`, `admin`, `manager`, `consultant`).
    public var role: String
    /// Set when the caller is an API key: it may then use only ``scopes``.
    public var apiKeyID: String
    public var scopes: [String]
    /// Permissions granted to the user on top of their role (`users.permissions`).
    public var grants: [String]

    /// Reads the principal the gateway set; `UNAUTHENTICATED` when there is none.
    public init(_ context: RPCContext) throws {
        try self.init(context.principal)
    }

    /// Reads `principal`; `UNAUTHENTICATED` when it names no organization and user.
    public init(_ principal: Principal) throws {
        guard let organizationID = UUID(canonicalText: principal.organizationId),
            let userID = UUID(canonicalText: principal.userId)
        else { throw RPCError(.unauthenticated, "authentication required") }
        self.organizationID = organizationID
        self.userID = userID
        self.role = principal.role
        self.apiKeyID = principal.apiKeyId
        self.scopes = principal.scopes
        self.grants = principal.grants
    }

    /// Whether the caller may do `permission`: their role allows it or it was granted to
    /// them (``Permission/isGrantable``), and, for an API key, a scope names it.
    public func may(_ permission: Permission) -> Bool {
        let userMay =
            RolePermissions.allows(role, permission)
            || (permission.isGrantable && grants.contains(permission.rawValue))
        return userMay && (apiKeyID.isEmpty || ApiKeyScopes.allows(scopes, permission))
    }

    /// `PERMISSION_DENIED` unless ``may(_:)``, with a message saying which rule refused.
    public func require(_ permission: Permission) throws {
        guard
            RolePermissions.allows(role, permission)
                || (permission.isGrantable && grants.contains(permission.rawValue))
        else {
            throw RPCError(.permissionDenied, "your role may not \(permission.summary)")
        }
        guard apiKeyID.isEmpty || ApiKeyScopes.allows(scopes, permission) else {
            throw RPCError(.permissionDenied, "this API key has no scope to \(permission.summary)")
        }
    }

    /// The organization id as the lower-case string the contracts carry.
    public var organizationIDString: String { organizationID.uuidString.lowercased() }
    /// The user id as the lower-case string the contracts carry.
    public var userIDString: String { userID.uuidString.lowercased() }
}
