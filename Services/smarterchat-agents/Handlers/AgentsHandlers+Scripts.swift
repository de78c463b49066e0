import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ListScripts, CreateScript, UpdateScript, DeleteScript: an agent's scripts, each checked
/// against its type's format (docs/scripts.md) when saved.
extension AgentsHandlers {
    static let maximumScriptsPerAgent = 100

    func listScripts(
        _ request: Agents.ListScriptsRequest, _ context: RPCContext
    ) async throws
        -> Agents.ListScriptsResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsRead)
        let scripts = try await database.withConnection { connection in
            let agent = try await self.agent(request.agentId, of: caller, on: connection)
            return try await ScriptStore.list(agentID: agent.id, organizationID: caller.organizationID, on: connection)
        }
        return Agents.ListScriptsResponse(scripts: scripts.map(\.contract))
    }

    func createScript(_ request: Agents.CreateScriptRequest, _ context: RPCContext) async throws -> Agents.Script {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        guard let kind = ScriptKind(rawValue: request.type) else {
            throw RPCError(.invalidArgument, "type must be prompt_modifier, response_filter or intent_handler")
        }
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.checkScript(name: name, description: request.description, kind: kind, content: request.content)
        return try await database.withTransaction { connection in
            let agent = try await self.agent(request.agentId, of: caller, lock: true, on: connection)
            let existing = try await ScriptStore.list(
                agentID: agent.id, organizationID: caller.organizationID, on: connection)
            guard existing.count < Self.maximumScriptsPerAgent else {
                throw RPCError(.resourceExhausted, "an agent has at most \(Self.maximumScriptsPerAgent) scripts")
            }
            return try await ScriptStore.insert(
                agentID: agent.id, name: name, description: request.description, type: kind.rawValue,
                content: request.content, priority: request.priority, enabled: request.enabled ?? true, on: connection)
        }.contract
    }

    func updateScript(_ request: Agents.UpdateScriptRequest, _ context: RPCContext) async throws -> Agents.Script {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        return try await database.withTransaction { connection in
            let agent = try await self.agent(request.agentId, of: caller, on: connection)
            guard
                var script = try await ScriptStore.find(
                    id: id(request.scriptId, "script"), agentID: agent.id, organizationID: caller.organizationID,
                    on: connection)
            else { throw RPCError(.notFound, "script not found") }
            if let value = request.name { script.name = value.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let value = request.description { script.description = value }
            if let value = request.content { script.content = value }
            if let value = request.priority { script.priority = value }
            if let value = request.enabled { script.enabled = value }
            guard let kind = ScriptKind(rawValue: script.type) else {
                throw RPCError(.failedPrecondition, "the script's type is unknown")
            }
            try Self.checkScript(
                name: script.name, description: script.description, kind: kind, content: script.content)
            guard let saved = try await ScriptStore.update(script, on: connection) else {
                throw RPCError(.notFound, "script not found")
            }
            return saved
        }.contract
    }

    func deleteScript(
        _ request: Agents.DeleteScriptRequest, _ context: RPCContext
    ) async throws
        -> Agents.DeleteScriptResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        try await database.withTransaction { connection in
            let agent = try await self.agent(request.agentId, of: caller, on: connection)
            guard try await ScriptStore.delete(id: id(request.scriptId, "script"), agentID: agent.id, on: connection)
            else { throw RPCError(.notFound, "script not found") }
        }
        return Agents.DeleteScriptResponse()
    }

    static func checkScript(name: String, description: String, kind: ScriptKind, content: String) throws {
        guard (1...255).contains(name.count) else {
            throw RPCError(.invalidArgument, "name must have 1 to 255 characters")
        }
        guard description.count <= 5000 else {
            throw RPCError(.invalidArgument, "description must have at most 5000 characters")
        }
        do {
            try kind.validate(content)
        } catch {
            throw error.rpcError(in: "content of this \(kind.rawValue)")
        }
    }
}
