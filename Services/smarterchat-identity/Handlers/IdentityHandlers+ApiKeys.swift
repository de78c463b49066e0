import Access
import Contracts
import Foundation
import Postgres
import RPC

/// CreateApiKey, ListApiKeys, RevokeApiKey, and ValidateToken's API key half.
extension IdentityHandlers {
    func createApiKey(
        _ request: Identity.CreateApiKeyRequest, _ context: RPCContext
    ) async throws
        -> Identity.CreateApiKeyResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.apiKeysManage)
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        // Counted as PostgreSQL counts VARCHAR(255): in code points; control characters (NUL
        // above all, which text columns refuse) are the client's mistake.
        guard !name.isEmpty, name.unicodeScalars.count <= 255,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw RPCError(.invalidArgument, "name must be 1 to 255 printable characters") }
        let scopes = Array(Set(request.scopes)).sorted()
        guard !scopes.isEmpty else { throw RPCError(.invalidArgument, "scopes must name at least one scope") }
        for scope in scopes {
            guard let permission = ApiKeyScopes.grants[scope] else {
                throw RPCError(.invalidArgument, "unknown scope; see docs/permissions.md for the list")
            }
            guard RolePermissions.allows(caller.role, permission) else {
                throw RPCError(.permissionDenied, "your role may not grant the scope \(scope)")
            }
        }
        var expiresAt: Date?
        if let text = request.expiresAt {
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions.insert(.withFractionalSeconds)
            guard let date = ISO8601DateFormatter().date(from: text) ?? fractional.date(from: text), date > Date()
            else {
                throw RPCError(.invalidArgument, "expires_at must be an RFC 3339 time in the future")
            }
            expiresAt = date
        }
        let generated = ApiKeyStore.generate()
        let apiKey = try await database.withTransaction { connection in
            let apiKey = try await ApiKeyStore.create(
                organizationID: caller.organizationID, createdBy: caller.userID, role: caller.role, name: name,
                prefix: generated.prefix, keyHash: SessionStore.hash(generated.key), scopes: scopes,
                expiresAt: expiresAt, on: connection)
            try await AuditLog.record(
                .apiKeyCreated, organizationID: caller.organizationID, userID: caller.userID, client: nil,
                details: ["api_key_id": apiKey.id, "prefix": apiKey.prefix, "scopes": scopes.joined(separator: " ")],
                on: connection)
            return apiKey
        }
        return Identity.CreateApiKeyResponse(apiKey: apiKey, key: generated.key)
    }

    func listApiKeys(_ context: RPCContext) async throws -> Identity.ListApiKeysResponse {
        let caller = try AuthenticatedUser(context)
        try caller.require(.apiKeysManage)
        let keys = try await database.withConnection { connection in
            try await ApiKeyStore.list(organizationID: caller.organizationID, on: connection)
        }
        return Identity.ListApiKeysResponse(apiKeys: keys)
    }

    /// Another organization's key id answers NOT_FOUND; revoking twice is not an error.
    func revokeApiKey(
        _ request: Identity.RevokeApiKeyRequest, _ context: RPCContext
    ) async throws
        -> Identity.RevokeApiKeyResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.apiKeysManage)
        guard let keyID = UUID(canonicalText: request.apiKeyId) else { throw RPCError(.notFound, "API key not found") }
        try await database.withTransaction { connection in
            guard
                let newly = try await ApiKeyStore.revoke(
                    id: keyID, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "API key not found") }
            if newly {
                try await AuditLog.record(
                    .apiKeyRevoked, organizationID: caller.organizationID, userID: caller.userID, client: nil,
                    details: ["api_key_id": keyID.lowercasedString], on: connection)
            }
        }
        return Identity.RevokeApiKeyResponse()
    }

    /// ValidateToken for an `sck_` key: the creator's principal with the key's id and scopes.
    func validateApiKey(_ key: String) async throws -> Identity.ValidateTokenResponse {
        let lookup = try await database.withConnection { connection in
            try await ApiKeyStore.validate(key: key, on: connection)
        }
        switch lookup {
        case .valid(let found):
            return Identity.ValidateTokenResponse(
                organizationId: found.organizationID.lowercasedString,
                userId: found.userID.lowercasedString, role: found.role, sessionId: "",
                expiresIn: found.expiresIn, apiKeyId: found.keyID.lowercasedString, scopes: found.scopes,
                grants: found.grants)
        case .revoked(let keyID, let organizationID):
            try await database.withConnection { connection in
                try await ApiKeyStore.auditRevokedUse(keyID: keyID, organizationID: organizationID, on: connection)
            }
            throw RPCError(.unauthenticated, "invalid or expired token")
        case .refused:
            throw RPCError(.unauthenticated, "invalid or expired token")
        }
    }
}
