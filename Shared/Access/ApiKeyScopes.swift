/// The scopes an API key may carry and the permission each grants: the table that
/// docs/permissions.md shows (a test checks the document against it).
///
/// A key acts as its creator with only these permissions: a call needs the scope AND the
/// creator's current role must allow the permission (RolePermissions). Managing API keys,
/// own profile and sessions, and platform operations are never scopes.
public enum ApiKeyScopes {
    /// Scope name → the permission it grants (each scope is named like its permission).
    public static let grants: [String: Permission] = Dictionary(
        uniqueKeysWithValues: scopable.map { ($0.rawValue, $0) })

    /// The permissions a key can be given, in document order.
    public static let scopable: [Permission] = [
        .organizationRead, .usersRead, .usersWrite, .agentsRead, .agentsWrite, .channelsManage, .conversationsRead,
        .conversationsWrite, .leadsRead, .leadsWrite, .leadsManage, .webhooksManage, .analyticsRead,
    ]

    /// Whether a key with `scopes` may do `permission` (the role is checked separately).
    public static func allows(_ scopes: [String], _ permission: Permission) -> Bool {
        scopes.contains { grants[$0] == permission }
    }

    /// The scope table as the Markdown of docs/permissions.md.
    public static func markdownTable() -> String {
        var lines = ["| scope | grants permission | service | allows |", "| --- | --- | --- | --- |"]
        for permission in scopable {
            lines.append(
                "| `\(permission.rawValue)` | `\(permission.rawValue)` | \(permission.owner) | \(permission.summary) |")
        }
        return lines.joined(separator: "\n")
    }
}
