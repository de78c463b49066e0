import Contracts
import Foundation
import Postgres

/// SQL for `agent_configs`: the numbered versions of an agent's configuration. Callers have
/// already found the agent in the caller's organization.
enum AgentConfigStore {
    struct Version: Sendable {
        var version: Int32
        var config: JSONValue
        var createdBy: UUID?
        var createdAt: Date
        var reason: String
        var restoredFrom: Int32?

        init(row: PostgresRow) throws {
            version = try row.decode(Int32.self, "version")
            config = JSONValue(text: try row.decode(String.self, "config")) ?? .object([:])
            createdBy = try row.decode(UUID?.self, "created_by")
            createdAt = try row.decode(Date?.self, "created_at") ?? Date()
            reason = try row.decode(String.self, "reason")
            restoredFrom = try row.decode(Int32?.self, "restored_from")
        }

        var contract: Agents.AgentVersion {
            Agents.AgentVersion(
                version: version, configJson: config.text, createdBy: createdBy?.lowercasedString ?? "",
                createdAt: Timestamp.text(createdAt), reason: reason, restoredFrom: restoredFrom ?? 0)
        }
    }

    static let columns = "version, config, created_by, created_at, reason, restored_from"

    static func insert(
        agentID: UUID, version: Int32, settings: AgentSettings, createdBy: UUID?, reason: String,
        restoredFrom: Int32? = nil, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO agent_configs (agent_id, version, config, created_by, reason, restored_from)
            VALUES ($1, $2, $3, $4, $5, $6)
            """, [agentID, version, PostgresJSON(text: settings.json.text), createdBy, reason, restoredFrom])
    }

    static func list(agentID: UUID, on connection: PostgresConnection) async throws -> [Version] {
        try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT \(columns) FROM agent_configs WHERE agent_id = $1 ORDER BY version DESC"),
            [agentID]
        ).map(Version.init(row:))
    }

    static func find(agentID: UUID, version: Int32, on connection: PostgresConnection) async throws -> Version? {
        try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT \(columns) FROM agent_configs WHERE agent_id = $1 AND version = $2"),
            [agentID, version]
        ).firstRow.map(Version.init(row:))
    }
}
