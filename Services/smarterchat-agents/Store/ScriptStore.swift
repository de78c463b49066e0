import Foundation
import Postgres

/// SQL for `scripts`. Scripts belong to an agent; callers find the agent in the caller's
/// organization first, and every statement joins on it again.
enum ScriptStore {
    /// The agent's scripts, highest priority first (then oldest first).
    static func list(
        agentID: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> [ScriptRecord]
    {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(prefixed) FROM scripts s JOIN agents a ON a.id = s.agent_id
                    WHERE s.agent_id = $1 AND a.organization_id = $2 AND a.deleted_at IS NULL
                    ORDER BY s.priority DESC NULLS LAST, s.created_at, s.id
                    """), [agentID, organizationID]
        ).map(ScriptRecord.init(row:))
    }

    static func find(
        id: UUID, agentID: UUID, organizationID: UUID, on connection: PostgresConnection
    ) async throws -> ScriptRecord? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(prefixed) FROM scripts s JOIN agents a ON a.id = s.agent_id
                    WHERE s.id = $1 AND s.agent_id = $2 AND a.organization_id = $3 AND a.deleted_at IS NULL
                    """), [id, agentID, organizationID]
        ).firstRow.map(ScriptRecord.init(row:))
    }

    static func insert(
        agentID: UUID, name: String, description: String, type: String, content: String, priority: Int32,
        enabled: Bool, on connection: PostgresConnection
    ) async throws -> ScriptRecord {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO scripts (agent_id, name, description, type, content, priority, enabled)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    RETURNING \(ScriptRecord.columns)
                    """), [agentID, name, description.isEmpty ? nil : description, type, content, priority, enabled]
        ).firstRow.map(ScriptRecord.init(row:))!
    }

    static func update(_ script: ScriptRecord, on connection: PostgresConnection) async throws -> ScriptRecord? {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE scripts SET name = $3, description = $4, content = $5, priority = $6, enabled = $7
                    WHERE id = $1 AND agent_id = $2
                    RETURNING \(ScriptRecord.columns)
                    """),
            [
                script.id, script.agentID, script.name, script.description.isEmpty ? nil : script.description,
                script.content, script.priority, script.enabled,
            ]
        ).firstRow.map(ScriptRecord.init(row:))
    }

    static func delete(id: UUID, agentID: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute("DELETE FROM scripts WHERE id = $1 AND agent_id = $2", [id, agentID]) == 1
    }

    private static let prefixed = ScriptRecord.columns.split(separator: ", ").map { "s.\($0)" }.joined(separator: ", ")
}
