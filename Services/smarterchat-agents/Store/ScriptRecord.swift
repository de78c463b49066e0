import Contracts
import Foundation
import Postgres

/// A row of `scripts`.
struct ScriptRecord: Sendable {
    var id: UUID
    var agentID: UUID
    var name: String
    var description: String
    var type: String
    var content: String
    var priority: Int32
    var enabled: Bool
    var createdAt: Date
    var updatedAt: Date

    static let columns = "id, agent_id, name, description, type, content, priority, enabled, created_at, updated_at"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, "id")
        agentID = try row.decode(UUID.self, "agent_id")
        name = try row.decode(String.self, "name")
        description = try row.decode(String?.self, "description") ?? ""
        type = try row.decode(String.self, "type")
        content = try row.decode(String.self, "content")
        priority = try row.decode(Int32?.self, "priority") ?? 0
        enabled = try row.decode(Bool?.self, "enabled") ?? true
        createdAt = try row.decode(Date?.self, "created_at") ?? Date()
        updatedAt = try row.decode(Date?.self, "updated_at") ?? Date()
    }

    var contract: Agents.Script {
        Agents.Script(
            id: id.lowercasedString, agentId: agentID.lowercasedString, name: name,
            description: description, type: type, content: content, priority: priority, enabled: enabled,
            createdAt: Timestamp.text(createdAt), updatedAt: Timestamp.text(updatedAt))
    }
}

/// RFC 3339 timestamps for the contracts.
enum Timestamp {
    static func text(_ date: Date?) -> String {
        guard let date else { return "" }
        return TimestampText.rfc3339(date)
    }
}
