import Contracts
import Foundation
import Logging
import RPC

/// The demo organisation's agent and web chat channel, so that `make run` shows a working
/// conversation offline: a published agent without a provider key (it answers through the
/// built-in offline responder) and a web chat channel linked to it. Idempotent: an existing
/// agent or channel is reused.
struct DemoAgent: Sendable {
    let runDirectory: String
    let logger: Logger

    /// Sets them up as the demo admin; answers the web chat's public id (nil when a service
    /// is not ready or refused; `up` then only prints the login).
    func prepare(email: String, password: String) async -> String? {
        let identity = client("identity"), agents = client("agents"), conversations = client("conversations")
        defer {
            identity.shutdown()
            agents.shutdown()
            conversations.shutdown()
        }
        do {
            let login = try await identity.call(
                Identity.Service.logIn,
                Identity.LogInRequest(email: email, password: password, client: .init(ipAddress: "127.0.0.1")),
                metadata: CallMetadata(caller: "smarterchatctl"), timeout: .seconds(30))
            guard let token = login.tokens?.accessToken else { return nil }
            let validated = try await identity.call(
                Identity.Service.validateToken, Identity.ValidateTokenRequest(accessToken: token),
                metadata: CallMetadata(caller: "smarterchatctl"), timeout: .seconds(10))
            let metadata = CallMetadata(
                caller: "gateway",
                principal: Principal(
                    organizationId: validated.organizationId, userId: validated.userId, role: validated.role))
            // agents and conversations may still be starting or migrating: wait for them.
            for attempt in 1... {
                do {
                    let agentID = try await agent(agents, metadata)
                    return try await webchat(conversations, agentID: agentID, metadata)
                } catch let error as RPCError where error.code == .unavailable && attempt < 120 {
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            return nil
        } catch {
            logger.warning("could not prepare the demo agent", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func client(_ service: String) -> RPCClient {
        RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: service, runDirectory: runDirectory, callerName: "smarterchatctl"),
            logger: logger)
    }

    /// The demo agent's id, created and published the first time.
    private func agent(_ agents: RPCClient, _ metadata: CallMetadata) async throws -> String {
        let existing = try await agents.call(
            Agents.Service.listAgents, Agents.ListAgentsRequest(), metadata: metadata, timeout: .seconds(10))
        if let agent = existing.agents.first { return agent.id }
        var request = Agents.CreateAgentRequest()
        request.name = "Sofia (demo)"
        request.personality = "Cordial, objetiva e paciente."
        request.tone = "friendly"
        request.objective =
            "Atender clientes da loja demo, qualificar o interesse e passar para um humano quando pedirem."
        request.systemMessage = "Você é a Sofia, assistente virtual da loja demo. Responda em português do Brasil."
        let agent = try await agents.call(
            Agents.Service.createAgent, request, metadata: metadata, timeout: .seconds(10))
        _ = try await agents.call(
            Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: agent.id, published: true),
            metadata: metadata, timeout: .seconds(10))
        return agent.id
    }

    /// The public id of the demo web chat channel, created the first time.
    private func webchat(_ conversations: RPCClient, agentID: String, _ metadata: CallMetadata) async throws -> String {
        let existing = try await conversations.call(
            Conversations.Service.listChannels, Conversations.ListChannelsRequest(type: "webchat"), metadata: metadata,
            timeout: .seconds(10))
        if let channel = existing.channels.first { return channel.publicId }
        var request = Conversations.CreateChannelRequest()
        request.type = "webchat"
        request.name = "Site (demo)"
        request.agentId = agentID
        let channel = try await conversations.call(
            Conversations.Service.createChannel, request, metadata: metadata, timeout: .seconds(10))
        return channel.publicId
    }
}
