import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ValidateToken, GetMe, ListSessions, RevokeSession: calls about the caller's own sessions.
extension IdentityHandlers {
    /// The gateway's check of a bearer token: `UNAUTHENTICATED` unless it is live.
    /// A token starting `sck_` is an API key (see ``validateApiKey(_:)``).
    func validateToken(_ request: Identity.ValidateTokenRequest) async throws -> Identity.ValidateTokenResponse {
        if request.accessToken.hasPrefix("sck_"), request.accessToken.utf8.count <= 256 {
            return try await validateApiKey(request.accessToken)
        }
        guard !request.accessToken.isEmpty, request.accessToken.utf8.count <= 256,
            let found = try await database.withConnection({ connection in
                try await SessionStore.validate(accessToken: request.accessToken, on: connection)
            })
        else { throw RPCError(.unauthenticated, "invalid or expired token") }
        return Identity.ValidateTokenResponse(
            organizationId: found.organizationID.lowercasedString, userId: found.userID.lowercasedString,
            role: found.role, sessionId: found.sessionID.lowercasedString, expiresIn: found.expiresIn,
            grants: found.grants)
    }

    /// The caller's user and organization, loaded from the database and kept in
    /// ``ProfileCache``. Runs when ``cachedMe(_:)`` had no answer (the server and the
    /// in-process client try it first), so it does not look in the cache again.
    func getMe(_ context: RPCContext) async throws -> Identity.GetMeResponse {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileRead)
        let generation = profiles.generation
        let response = try await loadMe(caller)
        profiles.store(response, for: caller.userID, generation: generation)
        return response
    }

    /// `GetMe`'s answer from ``ProfileCache`` when this replica answered it within the last
    /// second and nothing changed since; nil when it must be loaded. The server's immediate
    /// path (no task, no wait). An answer past half its life is still served, and its reload
    /// started in the background.
    func cachedMe(_ context: RPCContext) throws -> Identity.GetMeResponse? {
        let caller = try AuthenticatedUser(context)
        try caller.require(.profileRead)
        switch profiles.lookup(caller.userID) {
        case .fresh(let cached) where cached.user?.organizationId == caller.organizationIDString:
            return cached
        case .stale(let cached, let generation) where cached.user?.organizationId == caller.organizationIDString:
            let profiles = self.profiles
            Task {
                if let response = try? await loadMe(caller) {
                    profiles.store(response, for: caller.userID, generation: generation)
                } else {
                    profiles.refreshFailed(for: caller.userID)
                }
            }
            return cached
        default:
            return nil
        }
    }

    private func loadMe(_ caller: AuthenticatedUser) async throws -> Identity.GetMeResponse {
        try await database.withConnection { connection in
            guard
                let found = try await UserStore.findWithOrganization(
                    id: caller.userID, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "user not found") }
            return Identity.GetMeResponse(
                user: found.user, organization: found.organization, preferencesJson: found.preferences)
        }
    }

    func listSessions(
        _ request: Identity.ListSessionsRequest, _ context: RPCContext
    ) async throws
        -> Identity.ListSessionsResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.sessionsManageOwn)
        var sessions = try await database.withConnection { connection in
            try await SessionStore.list(userID: caller.userID, organizationID: caller.organizationID, on: connection)
        }
        let current = request.currentSessionId.lowercased()
        for index in sessions.indices { sessions[index].current = !current.isEmpty && sessions[index].id == current }
        return Identity.ListSessionsResponse(sessions: sessions)
    }

    /// Revokes one of the caller's sessions; another user's or tenant's id answers `NOT_FOUND`.
    func revokeSession(
        _ request: Identity.RevokeSessionRequest, _ context: RPCContext
    ) async throws
        -> Identity.RevokeSessionResponse
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.sessionsManageOwn)
        guard let familyID = UUID(canonicalText: request.sessionId) else {
            throw RPCError(.notFound, "session not found")
        }
        try await database.withTransaction { connection in
            guard
                try await SessionStore.belongs(
                    familyID: familyID, userID: caller.userID, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "session not found") }
            let revoked = try await SessionStore.revokeFamily(familyID, reason: "revoked", on: connection)
            if revoked > 0 {
                try await AuditLog.record(
                    .sessionRevoked, organizationID: caller.organizationID, userID: caller.userID, client: nil,
                    details: ["session_id": familyID.lowercasedString], on: connection)
            }
        }
        return Identity.RevokeSessionResponse()
    }
}
