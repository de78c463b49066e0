import Access
import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import RPC
import ServiceKit
import Synchronization

/// The agents service's RPC handlers and what they share: the database, the key ring that
/// seals provider keys, identity (plan limits), the reply engine.
struct AgentsHandlers: Sendable {
    let database: PostgresClient
    let configuration: AgentsConfiguration
    /// Seals provider keys; nil when no encryption keys are configured (keys cannot be set).
    let keyRing: KeyRing?
    let identity: any RPCCaller
    let engine: ReplyEngine
    /// The agents' reply metrics, written in batches.
    let metrics: AgentMetricsRecorder
    let logger: Logger
    /// Agents and scripts as replies read them (reused for a second; any write here drops
    /// them), and whether each agent answered its last reply (when to read the lead early).
    let replyConfigurations: ReplyConfigurations

    /// Registers every agents method on `router`.
    func register(on router: RPCRouter) {
        router.register(Agents.Service.generateReply) { request, context in try await generateReply(request, context) }
        router.register(Agents.Service.getAgentStatus) { request, context in
            try await getAgentStatus(request, context)
        }
        router.register(Agents.Service.listAgents) { _, context in try await listAgents(context) }
        router.register(Agents.Service.getAgent) { request, context in try await getAgent(request, context) }
        registerWrite(Agents.Service.createAgent, on: router, createAgent)
        registerWrite(Agents.Service.updateAgent, on: router, updateAgent)
        registerWrite(Agents.Service.deleteAgent, on: router, deleteAgent)
        registerWrite(Agents.Service.publishAgent, on: router, publishAgent)
        registerWrite(Agents.Service.setProviderKey, on: router, setProviderKey)
        registerWrite(Agents.Service.deleteProviderKey, on: router, deleteProviderKey)
        router.register(Agents.Service.listAgentVersions) { request, context in
            try await listAgentVersions(request, context)
        }
        router.register(Agents.Service.compareAgentVersions) { request, context in
            try await compareAgentVersions(request, context)
        }
        registerWrite(Agents.Service.restoreAgentVersion, on: router, restoreAgentVersion)
        router.register(Agents.Service.listScripts) { request, context in try await listScripts(request, context) }
        registerWrite(Agents.Service.createScript, on: router, createScript)
        registerWrite(Agents.Service.updateScript, on: router, updateScript)
        registerWrite(Agents.Service.deleteScript, on: router, deleteScript)
        router.register(Agents.Service.previewReply) { request, context in try await previewReply(request, context) }
    }

    /// Registers a method that writes agents or scripts: after it, whether it succeeded or
    /// not (a failure may come after its commit), what replies kept of them is dropped.
    private func registerWrite<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, on router: RPCRouter,
        _ handler: @escaping @Sendable (Input, RPCContext) async throws -> Output
    ) {
        let kept = replyConfigurations
        router.register(method) { request, context in
            defer { kept.dropAll() }
            return try await handler(request, context)
        }
    }

    /// An id from a request; a malformed one is NOT_FOUND like any unknown id.
    func id(_ text: String, _ what: String) throws -> UUID {
        guard let id = UUID(canonicalText: text) else { throw RPCError(.notFound, "\(what) not found") }
        return id
    }

    /// The caller's agent, or NOT_FOUND (also for another organization's id).
    func agent(
        _ text: String, of caller: AuthenticatedCaller, lock: Bool = false, on connection: PostgresConnection
    ) async throws -> AgentRecord {
        guard
            let agent = try await AgentStore.find(
                id: id(text, "agent"), organizationID: caller.organizationID, lock: lock, on: connection)
        else { throw RPCError(.notFound, "agent not found") }
        return agent
    }

    /// Appends `agent.<what>` for `agent` to the outbox (never the key).
    func event(
        _ type: String, _ agent: AgentRecord, extra: [String: JSONValue] = [:], on connection: PostgresConnection
    ) async throws {
        var payload: [String: JSONValue] = [
            "agent_id": .string(agent.id.lowercasedString), "name": .string(agent.settings.name),
            "status": .string(agent.status), "is_published": .bool(agent.isPublished),
            "config_version": .number(Double(agent.configVersion)),
            "provider_key_set": .bool(agent.sealedProviderKey != nil),
        ]
        payload.merge(extra) { $1 }
        try await Outbox.append(
            Outbox.Event(
                type: type, organizationID: agent.organizationID, aggregateType: "agent", aggregateID: agent.id,
                payloadJSON: JSONValue.object(payload).text), on: connection)
    }
}
