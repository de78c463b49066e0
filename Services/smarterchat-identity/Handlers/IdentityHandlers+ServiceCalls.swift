import Access
import Contracts
import Foundation
import Postgres
import RPC

/// Methods other services call for an organization they serve (not the gateway).
extension IdentityHandlers {
    /// The services that assign conversations to users.
    static let assignmentCallers: Set<String> = ["conversations", "crm", "agents"]
    /// The service that deletes old messages.
    static let retentionCallers: Set<String> = ["conversations"]

    /// Active, undeleted users whose role (or grants) allow `conversations:write`, ordered
    /// by id for a stable round-robin, with the organization's time zone. An invited user who
    /// has not accepted yet (still the unusable password hash) is not assignable: nobody could
    /// log in to answer a conversation handed to them.
    func listAssignableUsers(
        _ request: Identity.ListAssignableUsersRequest, _ context: RPCContext
    ) async throws
        -> Identity.ListAssignableUsersResponse
    {
        try ServiceCaller.require(context, from: Self.assignmentCallers)
        guard let organizationID = UUID(canonicalText: request.organizationId) else {
            throw RPCError(.invalidArgument, "organization_id must be a UUID")
        }
        let roles = RolePermissions.roles(allowed: .conversationsWrite).map(\.rawValue).sorted()
        return try await database.withConnection { connection in
            let organization = try await connection.query(
                """
                SELECT COALESCE(NULLIF(settings->>'timezone', ''), 'America/Sao_Paulo') AS time_zone,
                       CASE WHEN jsonb_typeof(settings->'conversations'->'return_to_ai_after_minutes') = 'number'
                            THEN settings->'conversations'->>'return_to_ai_after_minutes' END AS return_to_ai
                FROM organizations WHERE id = $1 AND deleted_at IS NULL
                """, [organizationID])
            guard let row = organization.firstRow else { throw RPCError(.notFound, "organization not found") }
            let users = try await connection.query(
                """
                SELECT id, full_name, role FROM users
                WHERE organization_id = $1 AND status = 'active' AND deleted_at IS NULL
                  AND password_hash <> $4
                  AND (role = ANY($2) OR (jsonb_typeof(permissions) = 'array' AND permissions ? $3))
                ORDER BY id
                """, [organizationID, roles, Permission.conversationsWrite.rawValue, UserStore.unusablePasswordHash])
            return Identity.ListAssignableUsersResponse(
                users: try users.map { user in
                    Identity.AssignableUser(
                        id: try user.decode(UUID.self, "id").lowercasedString,
                        fullName: try user.decode(String.self, "full_name"), role: try user.decode(String.self, "role"))
                },
                timeZone: try row.decode(String.self, "time_zone"),
                returnToAiAfterMinutes: Self.returnToAIMinutes(try row.decode(String?.self, "return_to_ai")))
        }
    }

    /// `settings.conversations.return_to_ai_after_minutes` as a whole number of minutes in
    /// 1...10080 (the rule conversations applies when an operator acts), else 0 (never).
    static func returnToAIMinutes(_ text: String?) -> Int32 {
        guard let text, let value = Double(text), value == value.rounded(), (1...10080).contains(value) else {
            return 0
        }
        return Int32(value)
    }

    /// Names of the organization's users in `request.user_ids`, whatever their status.
    func getUserNames(
        _ request: Identity.GetUserNamesRequest, _ context: RPCContext
    ) async throws
        -> Identity.GetUserNamesResponse
    {
        try ServiceCaller.require(context, from: Self.assignmentCallers)
        guard let organizationID = UUID(canonicalText: request.organizationId) else {
            throw RPCError(.invalidArgument, "organization_id must be a UUID")
        }
        guard request.userIds.count <= 200 else { throw RPCError(.invalidArgument, "at most 200 user_ids") }
        let ids = try request.userIds.map { text in
            guard let id = UUID(canonicalText: text) else { throw RPCError(.invalidArgument, "user_ids must be UUIDs") }
            return id
        }
        guard !ids.isEmpty else { return Identity.GetUserNamesResponse() }
        let rows = try await database.query(
            "SELECT id, full_name FROM users WHERE organization_id = $1 AND id = ANY($2::uuid[]) ORDER BY id",
            [organizationID, ids])
        return Identity.GetUserNamesResponse(
            users: try rows.map {
                Identity.UserName(
                    id: try $0.decode(UUID.self, "id").lowercasedString,
                    fullName: try $0.decode(String.self, "full_name"))
            })
    }

    /// Every live organization whose `settings.conversations.message_retention_days` is a
    /// JSON whole number in 30...3650 (the range UpdateOrganizationSettings enforces; older
    /// or hand-written values outside it are left out), with its days, ordered by id.
    func listMessageRetention(
        _ request: Identity.ListMessageRetentionRequest, _ context: RPCContext
    ) async throws
        -> Identity.ListMessageRetentionResponse
    {
        try ServiceCaller.require(context, from: Self.retentionCallers)
        // The CASE keeps the numeric cast away from values that are not JSON numbers, whatever
        // order the planner evaluates the conditions in.
        let rows = try await database.query(
            """
            SELECT id, days::integer AS days
            FROM (
                SELECT id,
                       CASE WHEN jsonb_typeof(settings->'conversations'->'message_retention_days') = 'number'
                            THEN (settings->'conversations'->>'message_retention_days')::numeric END AS days
                FROM organizations WHERE deleted_at IS NULL
            ) AS configured
            WHERE days BETWEEN 30 AND 3650 AND days = trunc(days)
            ORDER BY id
            """)
        return Identity.ListMessageRetentionResponse(
            organizations: try rows.map {
                Identity.MessageRetention(
                    organizationId: try $0.decode(UUID.self, "id").lowercasedString,
                    days: try $0.decode(Int32.self, "days"))
            })
    }
}
