import Access
import Contracts
import Cryptography
import Foundation
import Postgres
import RPC

/// ListAgents, GetAgent, CreateAgent, UpdateAgent, DeleteAgent, PublishAgent, SetProviderKey,
/// DeleteProviderKey: agent configuration for the REST API.
extension AgentsHandlers {
    func listAgents(_ context: RPCContext) async throws -> Agents.ListAgentsResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsRead)
        let agents = try await database.withConnection { connection in
            try await AgentStore.list(organizationID: caller.organizationID, on: connection)
        }
        return Agents.ListAgentsResponse(agents: agents.map { $0.contract(defaultModel: configuration.defaultModel) })
    }

    func getAgent(_ request: Agents.GetAgentRequest, _ context: RPCContext) async throws -> Agents.Agent {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsRead)
        return try await database.withConnection { connection in
            try await agent(request.agentId, of: caller, on: connection)
        }.contract(defaultModel: configuration.defaultModel)
    }

    /// Creates the agent and its version 1, within the plan's `max_agents` (identity
    /// GetPlanLimits; `RESOURCE_EXHAUSTED` "plan limit reached: max_agents is N").
    func createAgent(_ request: Agents.CreateAgentRequest, _ context: RPCContext) async throws -> Agents.Agent {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        let settings = AgentSettings(
            name: request.name.trimmingCharacters(in: .whitespacesAndNewlines), description: request.description,
            avatarURL: request.avatarUrl, personality: request.personality,
            tone: request.tone.isEmpty ? "professional" : request.tone, objective: request.objective,
            systemMessage: request.systemMessage,
            contextData: try AgentInput.object(request.contextDataJson, field: "context_data"), model: request.model,
            temperature: request.temperature ?? 0.7, maxTokens: Int(request.maxTokens ?? 1000),
            autoResponseEnabled: request.autoResponseEnabled ?? true,
            handoffRules: try AgentInput.object(request.handoffRulesJson, field: "handoff_rules"),
            leadQualificationRules: try AgentInput.object(
                request.leadQualificationRulesJson, field: "lead_qualification_rules"),
            languages: request.languages.isEmpty ? ["pt-BR"] : request.languages,
            defaultLanguage: request.defaultLanguage.isEmpty
                ? (request.languages.first ?? "pt-BR") : request.defaultLanguage,
            providerBaseURL: request.providerBaseUrl)
        try AgentInput.validate(settings, configuration: configuration)
        let status = request.status.isEmpty ? "active" : request.status
        try AgentInput.checkStatus(status)
        let limits = try await identity.call(
            Identity.Service.getPlanLimits,
            Identity.GetPlanLimitsRequest(organizationId: caller.organizationIDString),
            metadata: CallMetadata(requestID: context.metadata.requestID, caller: "agents"), timeout: .seconds(5))
        let created = try await database.withTransaction { connection in
            let count = try await AgentStore.lockAndCount(organizationID: caller.organizationID, on: connection)
            if limits.maxAgents > 0, count >= Int(limits.maxAgents) {
                throw RPCError(.resourceExhausted, "plan limit reached: max_agents is \(limits.maxAgents)")
            }
            let agent = try await AgentStore.insert(
                organizationID: caller.organizationID, settings: settings, status: status, on: connection)
            try await AgentConfigStore.insert(
                agentID: agent.id, version: 1, settings: settings, createdBy: caller.userID, reason: "create",
                on: connection)
            try await event("agent.created", agent, on: connection)
            return agent
        }
        return created.contract(defaultModel: configuration.defaultModel)
    }

    /// Applies the fields present; when the configuration changes it becomes a new version.
    func updateAgent(_ request: Agents.UpdateAgentRequest, _ context: RPCContext) async throws -> Agents.Agent {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        if let status = request.status { try AgentInput.checkStatus(status) }
        let updated = try await database.withTransaction { connection in
            let current = try await self.agent(request.agentId, of: caller, lock: true, on: connection)
            var settings = current.settings
            if let value = request.name { settings.name = value.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let value = request.description { settings.description = value }
            if let value = request.avatarUrl { settings.avatarURL = value }
            if let value = request.personality { settings.personality = value }
            if let value = request.tone { settings.tone = value }
            if let value = request.objective { settings.objective = value }
            if let value = request.systemMessage { settings.systemMessage = value }
            if let value = request.contextDataJson {
                settings.contextData = try AgentInput.object(value, field: "context_data")
            }
            if let value = request.model { settings.model = value }
            if let value = request.temperature { settings.temperature = value }
            if let value = request.maxTokens { settings.maxTokens = Int(value) }
            if let value = request.autoResponseEnabled { settings.autoResponseEnabled = value }
            if let value = request.handoffRulesJson {
                settings.handoffRules = try AgentInput.object(value, field: "handoff_rules")
            }
            if let value = request.leadQualificationRulesJson {
                settings.leadQualificationRules = try AgentInput.object(value, field: "lead_qualification_rules")
            }
            if request.setLanguages { settings.languages = request.languages }
            if let value = request.defaultLanguage { settings.defaultLanguage = value }
            if let value = request.providerBaseUrl { settings.providerBaseURL = value }
            try AgentInput.validate(settings, configuration: configuration)
            var agent = current
            if settings != current.settings {
                let version = current.configVersion + 1
                guard
                    let saved = try await AgentStore.update(
                        id: current.id, organizationID: caller.organizationID, settings: settings,
                        configVersion: version, on: connection)
                else { throw RPCError(.notFound, "agent not found") }
                try await AgentConfigStore.insert(
                    agentID: current.id, version: version, settings: settings, createdBy: caller.userID,
                    reason: "update", on: connection)
                agent = saved
            }
            if let status = request.status, status != agent.status {
                agent =
                    try await AgentStore.setStatus(
                        id: agent.id, organizationID: caller.organizationID, status: status, published: nil,
                        on: connection) ?? agent
            }
            let changed =
                AgentSettings.changes(from: current.settings.json, to: agent.settings.json).map(\.field)
                + (agent.status != current.status ? ["status"] : [])
            if !changed.isEmpty {
                try await event(
                    "agent.updated", agent, extra: ["changed": .array(changed.map(JSONValue.string))], on: connection)
            }
            return agent
        }
        return updated.contract(defaultModel: configuration.defaultModel)
    }

    func deleteAgent(
        _ request: Agents.DeleteAgentRequest, _ context: RPCContext
    ) async throws
        -> Agents.DeleteAgentResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        try await database.withTransaction { connection in
            let current = try await self.agent(request.agentId, of: caller, lock: true, on: connection)
            _ = try await AgentStore.delete(id: current.id, organizationID: caller.organizationID, on: connection)
            try await event("agent.deleted", current, on: connection)
        }
        return Agents.DeleteAgentResponse()
    }

    /// Publishing needs an active agent: a channel answers only with a published, active one.
    func publishAgent(_ request: Agents.PublishAgentRequest, _ context: RPCContext) async throws -> Agents.Agent {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        return try await database.withTransaction { connection in
            let current = try await self.agent(request.agentId, of: caller, lock: true, on: connection)
            if request.published, current.status != "active" {
                throw RPCError(
                    .failedPrecondition, "only an active agent can be published (status is \(current.status))")
            }
            guard current.isPublished != request.published else { return current }
            guard
                let agent = try await AgentStore.setStatus(
                    id: current.id, organizationID: caller.organizationID, status: nil, published: request.published,
                    on: connection)
            else { throw RPCError(.notFound, "agent not found") }
            try await event("agent.updated", agent, extra: ["changed": ["is_published"]], on: connection)
            return agent
        }.contract(defaultModel: configuration.defaultModel)
    }

    /// Seals the key (AES-256-GCM, the key ring's current key id inside, bound to the agent).
    func setProviderKey(_ request: Agents.SetProviderKeyRequest, _ context: RPCContext) async throws -> Agents.Agent {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        let key = request.providerKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (8...512).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline })
        else {
            throw RPCError(.invalidArgument, "provider_key must be 8 to 512 printable ASCII characters without spaces")
        }
        guard let keyRing else {
            throw RPCError(.failedPrecondition, "provider keys cannot be stored: no encryption key is configured")
        }
        return try await database.withTransaction { connection in
            let current = try await self.agent(request.agentId, of: caller, lock: true, on: connection)
            let sealed = try keyRing.sealText(key, associatedData: ProviderKey.associatedData(current.id))
            guard
                let agent = try await AgentStore.setProviderKey(
                    id: current.id, organizationID: caller.organizationID, sealed: sealed,
                    last4: String(key.suffix(4)), on: connection)
            else { throw RPCError(.notFound, "agent not found") }
            try await event("agent.updated", agent, extra: ["changed": ["provider_key"]], on: connection)
            return agent
        }.contract(defaultModel: configuration.defaultModel)
    }

    func deleteProviderKey(
        _ request: Agents.DeleteProviderKeyRequest, _ context: RPCContext
    ) async throws
        -> Agents.Agent
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        return try await database.withTransaction { connection in
            let current = try await self.agent(request.agentId, of: caller, lock: true, on: connection)
            guard
                let agent = try await AgentStore.setProviderKey(
                    id: current.id, organizationID: caller.organizationID, sealed: nil, last4: nil, on: connection)
            else { throw RPCError(.notFound, "agent not found") }
            if current.sealedProviderKey != nil {
                try await event("agent.updated", agent, extra: ["changed": ["provider_key"]], on: connection)
            }
            return agent
        }.contract(defaultModel: configuration.defaultModel)
    }
}
