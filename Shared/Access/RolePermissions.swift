/// The roles of `users.role` and what each may do: the permission matrix that
/// docs/permissions.md shows (a test checks the document against this table).
///
/// Every service checks the principal in RPC metadata against this one table for the
/// resources it owns (``AuthenticatedCaller/require(_:)``); the gateway is not the guard.
public enum Role: String, CaseIterable, Sendable {
    case superAdmin = "super_admin"
    case admin
    case manager
    case consultant
}

/// One thing a principal may be allowed to do, named `resource:action` as API key scopes are.
public enum Permission: String, CaseIterable, Sendable {
    case profileRead = "profile:read"
    case profileWrite = "profile:write"
    case sessionsManageOwn = "sessions:manage_own"
    case organizationRead = "organization:read"
    case organizationWrite = "organization:write"
    case usersRead = "users:read"
    case usersWrite = "users:write"
    case apiKeysManage = "api_keys:manage"
    case platformOrganizations = "platform:organizations"
    case agentsRead = "agents:read"
    case agentsWrite = "agents:write"
    case channelsManage = "channels:manage"
    case conversationsRead = "conversations:read"
    case conversationsWrite = "conversations:write"
    case leadsRead = "leads:read"
    case leadsWrite = "leads:write"
    case leadsManage = "leads:manage"
    case webhooksManage = "webhooks:manage"
    case analyticsRead = "analytics:read"

    /// The service that owns the resource and enforces the permission.
    public var owner: String {
        switch self {
        case .agentsRead, .agentsWrite: "agents"
        case .channelsManage, .conversationsRead, .conversationsWrite: "conversations"
        case .leadsRead, .leadsWrite, .leadsManage: "crm"
        case .webhooksManage: "hooks"
        case .analyticsRead: "analytics"
        default: "identity"
        }
    }

    /// What it allows, for the document.
    public var summary: String {
        switch self {
        case .profileRead: "read own user (`GET /me`)"
        case .profileWrite: "edit own profile, preferences and password; set up 2FA, verify own email"
        case .sessionsManageOwn: "list and revoke own sessions, log out"
        case .organizationRead: "read own organization, its plan and limits"
        case .organizationWrite: "edit own organization's settings and branding"
        case .usersRead: "list the organization's users"
        case .usersWrite: "invite users, change roles, deactivate and reactivate"
        case .apiKeysManage: "create, list and revoke API keys"
        case .platformOrganizations: "list, suspend and reactivate any organization, change plans (2FA required)"
        case .agentsRead: "read agents and their configuration"
        case .agentsWrite: "create and configure agents, scripts, provider keys"
        case .channelsManage: "connect, configure and remove channels and their secrets"
        case .conversationsRead: "read conversations and messages"
        case .conversationsWrite: "reply, take over, hand back and close conversations"
        case .leadsRead: "read leads and activities"
        case .leadsWrite: "edit leads, status, assignment, activities"
        case .leadsManage: "delete and merge leads, export and import CSV"
        case .webhooksManage: "create, edit and inspect outbound webhooks"
        case .analyticsRead: "read dashboards and reports"
        }
    }

    /// Whether a user's `permissions` grants (users.permissions) may add it on top of their
    /// role: everything except platform operations and API key management.
    public var isGrantable: Bool {
        switch self {
        case .platformOrganizations, .apiKeysManage: false
        default: true
        }
    }
}

/// The matrix itself.
public enum RolePermissions {
    /// The roles allowed `permission`.
    public static func roles(allowed permission: Permission) -> Set<Role> {
        switch permission {
        case .profileRead, .profileWrite, .sessionsManageOwn, .organizationRead, .agentsRead, .conversationsRead,
            .conversationsWrite, .leadsRead, .leadsWrite:
            [.superAdmin, .admin, .manager, .consultant]
        case .usersRead, .agentsWrite, .analyticsRead, .leadsManage:
            [.superAdmin, .admin, .manager]
        case .organizationWrite, .usersWrite, .apiKeysManage, .webhooksManage, .channelsManage:
            [.superAdmin, .admin]
        case .platformOrganizations:
            [.superAdmin]
        }
    }

    /// Whether `role` (as stored, e.g. `"manager"`) may do `permission`; an unknown role may
    /// do nothing.
    public static func allows(_ role: String, _ permission: Permission) -> Bool {
        guard let role = Role(rawValue: role) else { return false }
        return roles(allowed: permission).contains(role)
    }

    /// The matrix as the Markdown table of docs/permissions.md.
    public static func markdownTable() -> String {
        var lines = [
            "| permission | service | allows | " + Role.allCases.map(\.rawValue).joined(separator: " | ") + " |"
        ]
        lines.append("| --- | --- | --- | " + Role.allCases.map { _ in "---" }.joined(separator: " | ") + " |")
        for permission in Permission.allCases {
            let allowed = roles(allowed: permission)
            let cells = Role.allCases.map { allowed.contains($0) ? "yes" : "no" }
            lines.append(
                "| `\(permission.rawValue)` | \(permission.owner) | \(permission.summary) | "
                    + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
