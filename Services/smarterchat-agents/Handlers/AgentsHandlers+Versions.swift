import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ListAgentVersions, CompareAgentVersions, RestoreAgentVersion: the configuration history.
extension AgentsHandlers {
    func listAgentVersions(
        _ request: Agents.ListAgentVersionsRequest, _ context: RPCContext
    ) async throws
        -> Agents.ListAgentVersionsResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsRead)
        let versions = try await database.withConnection { connection in
            let agent = try await self.agent(request.agentId, of: caller, on: connection)
            return try await AgentConfigStore.list(agentID: agent.id, on: connection)
        }
        return Agents.ListAgentVersionsResponse(versions: versions.map(\.contract))
    }

    /// The fields that differ from `from_version` to `to_version` (the current version when 0).
    func compareAgentVersions(
        _ request: Agents.CompareAgentVersionsRequest, _ context: RPCContext
    ) async throws
        -> Agents.CompareAgentVersionsResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsRead)
        return try await database.withConnection { connection in
            let agent = try await self.agent(request.agentId, of: caller, on: connection)
            let toVersion = request.toVersion == 0 ? agent.configVersion : request.toVersion
            guard request.fromVersion > 0 else { throw RPCError(.invalidArgument, "from_version is required") }
            guard
                let from = try await AgentConfigStore.find(
                    agentID: agent.id, version: request.fromVersion, on: connection)
            else { throw RPCError(.notFound, "version \(request.fromVersion) not found") }
            guard let to = try await AgentConfigStore.find(agentID: agent.id, version: toVersion, on: connection)
            else { throw RPCError(.notFound, "version \(toVersion) not found") }
            return Agents.CompareAgentVersionsResponse(
                fromVersion: from.version, toVersion: to.version,
                changes: AgentSettings.changes(from: from.config, to: to.config).map {
                    Agents.AgentVersionChange(field: $0.field, fromJson: $0.from.text, toJson: $0.to.text)
                })
        }
    }

    /// Puts version `version` back as a new version (the history is never rewritten).
    func restoreAgentVersion(
        _ request: Agents.RestoreAgentVersionRequest, _ context: RPCContext
    ) async throws
        -> Agents.Agent
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        return try await database.withTransaction { connection in
            let current = try await self.agent(request.agentId, of: caller, lock: true, on: connection)
            guard
                let saved = try await AgentConfigStore.find(
                    agentID: current.id, version: request.version, on: connection)
            else { throw RPCError(.notFound, "version \(request.version) not found") }
            guard let data = try? JSONEncoder().encode(saved.config),
                let settings = try? JSONDecoder().decode(AgentSettings.self, from: data)
            else { throw RPCError(.failedPrecondition, "version \(request.version) cannot be restored") }
            // A version saved under other rules (e.g. a base URL now refused) is checked again.
            try AgentInput.validate(settings, configuration: configuration)
            let version = current.configVersion + 1
            guard
                let agent = try await AgentStore.update(
                    id: current.id, organizationID: caller.organizationID, settings: settings, configVersion: version,
                    on: connection)
            else { throw RPCError(.notFound, "agent not found") }
            try await AgentConfigStore.insert(
                agentID: current.id, version: version, settings: settings, createdBy: caller.userID, reason: "restore",
                restoredFrom: request.version, on: connection)
            let changed = AgentSettings.changes(from: current.settings.json, to: settings.json).map(\.field)
            try await event(
                "agent.updated", agent,
                extra: [
                    "changed": .array(changed.map(JSONValue.string)), "restored_from": .number(Double(request.version)),
                ],
                on: connection)
            return agent
        }.contract(defaultModel: configuration.defaultModel)
    }
}
