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
    /// Which agents answered their last reply in this process (when to read the lead early).
    let answering = AnsweringAgents()
    /// Agents and scripts as replies read them, for at most a second; any write here drops them.
    let replyConfigurations: ReplyConfigurations

    /// Registers every agents method on `router`.
    func register(on router: RPCRouter) {
        router.register(Agents.Service.generateReply) { request, context in try await generateReply(request, context) }
        router.register(Agents.Service.getAgentStatus) { request, context in
            try await getAgentStatus(request, context)
        }
        router.register(Agents.Service.listAgents) { _, context in try await listAgents(context) }
        router.register(Agents.Service.getAgent) { request, context in try await getAgent(request, context) }
        router.register(Agents.Service.createAgent) { request, context in
            try await writing { try await createAgent(request, context) }
        }
        router.register(Agents.Service.updateAgent) { request, context in
            try await writing { try await updateAgent(request, context) }
        }
        router.register(Agents.Service.deleteAgent) { request, context in
            try await writing { try await deleteAgent(request, context) }
        }
        router.register(Agents.Service.publishAgent) { request, context in
            try await writing { try await publishAgent(request, context) }
        }
        router.register(Agents.Service.setProviderKey) { request, context in
            try await writing { try await setProviderKey(request, context) }
        }
        router.register(Agents.Service.deleteProviderKey) { request, context in
            try await writing { try await deleteProviderKey(request, context) }
        }
        router.register(Agents.Service.listAgentVersions) { request, context in
            try await listAgentVersions(request, context)
        }
        router.register(Agents.Service.compareAgentVersions) { request, context in
            try await compareAgentVersions(request, context)
        }
        router.register(Agents.Service.restoreAgentVersion) { request, context in
            try await writing { try await restoreAgentVersion(request, context) }
        }
        router.register(Agents.Service.listScripts) { request, context in try await listScripts(request, context) }
        router.register(Agents.Service.createScript) { request, context in
            try await writing { try await createScript(request, context) }
        }
        router.register(Agents.Service.updateScript) { request, context in
            try await writing { try await updateScript(request, context) }
        }
        router.register(Agents.Service.deleteScript) { request, context in
            try await writing { try await deleteScript(request, context) }
        }
        router.register(Agents.Service.previewReply) { request, context in try await previewReply(request, context) }
    }

    /// Runs a handler that writes agents or scripts, then drops what replies kept of them
    /// (whether it succeeded or not: a failure may have come after its commit).
    func writing<Output>(_ body: () async throws -> Output) async throws -> Output {
        defer { replyConfigurations.dropAll() }
        return try await body()
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

/// Whether each agent answered its last `GenerateReply` in this process: a guess of whether
/// the next one will, so the lead for its prompt can be read before the agent's row says so.
/// A wrong guess costs one unneeded crm read, or the overlap; never a different reply.
final class AnsweringAgents: Sendable {
    private let answered = Mutex<[UUID: Bool]>([:])

    init() {}

    func answeredLast(_ agentID: UUID) -> Bool {
        answered.withLock { $0[agentID] ?? false }
    }

    func record(_ agentID: UUID, answers: Bool) {
        answered.withLock { answered in
            // Bounded: a process serving very many agents starts over rather than grow.
            if answered.count >= 10_000, answered[agentID] == nil { answered.removeAll() }
            answered[agentID] = answers
        }
    }
}
