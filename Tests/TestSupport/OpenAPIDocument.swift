import Foundation

/// The operations of docs/openapi.yaml, for the tests that must cover every one of an area's
/// endpoints (the role matrix, the tenant isolation matrix).
public enum OpenAPIDocument {
    /// The path prefixes of the identity service's endpoints.
    public static let identityPrefixes = [
        "/auth/", "/me", "/users", "/sessions", "/api-keys", "/organization/", "/platform/",
    ]

    /// The repository's docs/openapi.yaml.
    public static var url: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
    }

    /// The operations whose path starts with one of `prefixes`, as `METHOD /path`
    /// (e.g. `DELETE /users/{id}`), read line by line from the document's `paths`.
    public static func endpoints(prefixes: [String]) throws -> Set<String> {
        var endpoints: Set<String> = []
        var path: String?
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                let candidate = String(line.dropFirst(2).dropLast())
                path = prefixes.contains { candidate.hasPrefix($0) } ? candidate : nil
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let word = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(word)) {
                    endpoints.insert("\(word.uppercased()) \(path)")
                }
            } else if !line.hasPrefix(" ") {
                path = nil
            }
        }
        return endpoints
    }

    /// The identity endpoints of the document (``identityPrefixes``).
    public static func identityEndpoints() throws -> Set<String> {
        try endpoints(prefixes: identityPrefixes)
    }
}
