import Access
import Contracts
import Foundation
import Logging
import Postgres
import RPC

/// GenerateReply and GetAgentStatus (for conversations), PreviewReply (for the REST API).
extension AgentsHandlers {
    static let defaultTimeZone = TimeZone(identifier: "America/Sao_Paulo")!

    /// The reply of an agent to a conversation; a provider failure is an answer (`FAILED`
    /// with a handoff and its reason), not an RPC error, so conversations can act on it.
    func generateReply(
        _ request: Agents.GenerateReplyRequest, _ context: RPCContext
    ) async throws
        -> Agents.GenerateReplyResponse
    {
        try ServiceCaller.require(context, from: ["conversations"])
        guard let organizationID = UUID(canonicalText: request.organizationId) else {
            throw RPCError(.invalidArgument, "organization_id is required")
        }
        let started = ContinuousClock.now
        let agentID = try id(request.agentId, "agent")
        func readLead(_ now: Bool) async -> ReplyEngine.LeadForPrompt {
            guard now else { return .fetchWhenNeeded }
            return .fetched(
                await engine.lead(
                    organizationID: organizationID, leadID: request.leadId, requestID: context.metadata.requestID))
        }
        let agent: AgentRecord
        let scripts: [ScriptRecord]
        let lead: ReplyEngine.LeadForPrompt
        if let kept = replyConfigurations.fresh(agentID, organizationID: organizationID),
            !kept.agent.answers || kept.scripts != nil
        {
            // The agent and its scripts as a reply of this replica read them under a second
            // ago (ReplyConfigurations): only the lead is read.
            agent = kept.agent
            guard agent.answers else { return Self.noReply(agent) }
            scripts = kept.scripts ?? []
            lead = await readLead(true)
        } else {
            let generation = replyConfigurations.generation
            let read = ContinuousClock.now
            // The lead for the prompt (crm) and the agent's scripts are read beside the agent
            // when the agent answered its last reply here, else only once the agent is known to
            // answer: an unpublished agent's jobs cost crm and the scripts' query nothing, a
            // published one's do not wait for the agent's row before asking for them.
            let readEarly = replyConfigurations.answeredLast(agentID)
            func readScripts(_ now: Bool) async throws -> [ScriptRecord] {
                guard now else { return [] }
                return try await database.withConnection { connection in
                    try await ScriptStore.list(agentID: agentID, organizationID: organizationID, on: connection)
                }
            }
            async let earlyLead = readLead(readEarly)
            async let earlyScripts = readScripts(readEarly)
            guard
                let found = try await database.withConnection({ connection in
                    try await AgentStore.find(id: agentID, organizationID: organizationID, on: connection)
                })
            else { throw RPCError(.notFound, "agent not found") }
            agent = found
            guard agent.answers else {
                replyConfigurations.keep(agent, scripts: nil, readAt: read, generation: generation)
                return Self.noReply(agent)
            }
            async let lateLead = readLead(!readEarly)
            scripts = readEarly ? try await earlyScripts : try await readScripts(true)
            lead = readEarly ? await earlyLead : await lateLead
            replyConfigurations.keep(agent, scripts: scripts, readAt: read, generation: generation)
        }
        let state = await engine.reply(
            ReplyEngine.Request(
                agent: agent, scripts: scripts, conversationID: request.conversationId, leadID: request.leadId,
                channel: request.channelType, contactName: request.contactName, history: request.history,
                aiTurns: Int(request.aiTurns),
                timeZone: TimeZone(identifier: request.timeZone) ?? Self.defaultTimeZone, now: Date(), dryRun: false,
                deadline: context.deadline, requestID: context.metadata.requestID, lead: lead))
        let milliseconds = Int(started.duration(to: .now).milliseconds)
        let response = state.response(milliseconds: milliseconds)
        if response.outcome == .replied {
            // Written within half a second by the recorder, off the reply's path.
            metrics.record(
                agentID: agent.id, organizationID: organizationID, milliseconds: milliseconds,
                firstOfConversation: request.aiTurns == 0)
        }
        return response
    }

    /// NO_REPLY for an agent that does not answer, with why.
    static func noReply(_ agent: AgentRecord) -> Agents.GenerateReplyResponse {
        let why =
            agent.status != "active"
            ? "the agent is \(agent.status)"
            : !agent.isPublished ? "the agent is not published" : "the agent's auto-response is off"
        return Agents.GenerateReplyResponse(outcome: .noReply, detail: why)
    }

    func getAgentStatus(
        _ request: Agents.GetAgentStatusRequest, _ context: RPCContext
    ) async throws
        -> Agents.GetAgentStatusResponse
    {
        try ServiceCaller.require(context, from: ["conversations", "analytics", "hooks"])
        guard let organizationID = UUID(canonicalText: request.organizationId) else {
            throw RPCError(.invalidArgument, "organization_id is required")
        }
        guard
            let agent = try await database.withConnection({ connection in
                try await AgentStore.find(
                    id: id(request.agentId, "agent"), organizationID: organizationID, on: connection)
            })
        else { throw RPCError(.notFound, "agent not found") }
        return Agents.GetAgentStatusResponse(
            agentId: agent.id.lowercasedString, name: agent.settings.name, published: agent.isPublished,
            status: agent.status, autoResponseEnabled: agent.settings.autoResponseEnabled)
    }

    /// Runs the agent on a test message as a test contact: the same engine, but tools and lead
    /// actions are recorded instead of applied, and nothing is counted in the metrics. It runs
    /// whether or not the agent is published.
    func previewReply(
        _ request: Agents.PreviewReplyRequest, _ context: RPCContext
    ) async throws
        -> Agents.PreviewReplyResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.agentsWrite)
        let message = request.message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...4000).contains(message.count) else {
            throw RPCError(.invalidArgument, "message must have 1 to 4000 characters")
        }
        guard request.history.count <= 50 else { throw RPCError(.invalidArgument, "history has more than 50 turns") }
        let channel = request.channelType.isEmpty ? "webchat" : request.channelType
        guard ["whatsapp", "instagram", "telegram", "webchat"].contains(channel) else {
            throw RPCError(.invalidArgument, "channel_type must be whatsapp, instagram, telegram or webchat")
        }
        var timeZone = Self.defaultTimeZone
        if !request.timeZone.isEmpty {
            guard let zone = TimeZone(identifier: request.timeZone) else {
                throw RPCError(.invalidArgument, "time_zone is not an IANA time zone")
            }
            timeZone = zone
        }
        let (agent, scripts) = try await database.withConnection { connection -> (AgentRecord, [ScriptRecord]) in
            let found = try await self.agent(request.agentId, of: caller, on: connection)
            let scripts = try await ScriptStore.list(
                agentID: found.id, organizationID: caller.organizationID, on: connection)
            return (found, scripts)
        }
        let history =
            [Agents.ConversationTurn(senderType: "contact", content: message, messageType: "text")]
            + request.history.reversed()
        let started = ContinuousClock.now
        // Someone is waiting in the console: the provider gets a bounded time in all.
        let limit = started + configuration.previewTimeout
        let deadline = context.deadline.map { min($0, limit) } ?? limit
        let state = await engine.reply(
            ReplyEngine.Request(
                agent: agent, scripts: scripts, conversationID: "", leadID: "", channel: channel,
                contactName: request.contactName.isEmpty ? "Contato de teste" : request.contactName,
                history: history, aiTurns: request.history.filter { $0.senderType == "ai" }.count, timeZone: timeZone,
                now: Date(), dryRun: true, deadline: deadline, requestID: context.metadata.requestID))
        return Agents.PreviewReplyResponse(
            reply: state.response(milliseconds: Int(started.duration(to: .now).milliseconds)),
            promptJson: JSONValue.array(state.prompt).text, toolCallsJson: JSONValue.array(state.toolCalls).text,
            decisionsJson: JSONValue.array(state.decisions + state.filters).text)
    }
}
