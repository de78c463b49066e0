import Contracts
import Foundation
import Postgres
import RPC
import TestSupport
import Testing

@testable import AgentsService

/// A replica reuses what a reply read of its agent (the row, the scripts) for a short time;
/// its own writes apply to the next reply, another replica's once that time has passed.
@Suite("ReplyConfigurations: replies reuse their agent's row and scripts for a short time")
struct ReplyConfigurationsTests {
    /// Handlers of their own (their own cache) keeping what replies read for `ttl`.
    private func fixture(ttl: Duration) async throws -> AgentsFixture {
        var configuration = AgentsFixture.configuration
        configuration.replyCacheTTL = ttl
        return try await AgentsFixture.shared().with(configuration: configuration)
    }

    /// The system prompt of `agent`'s next reply (the provider's view of it).
    private func nextPrompt(
        _ fixture: AgentsFixture, _ agent: Agents.Agent, _ provider: FakeProvider
    ) async throws -> String {
        let before = provider.received.count
        let reply = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(reply.outcome == .replied)
        let request = try #require(provider.received.dropFirst(before).first)
        return request.messages.first?["content"] as? String ?? ""
    }

    /// A live agent of `admin` whose prompt said "Versão um." in one reply, then changed to
    /// "Versão dois." straight in the table, as another replica would.
    private func agentChangedElsewhere(
        _ fixture: AgentsFixture, _ provider: FakeProvider, as admin: Principal
    ) async throws -> Agents.Agent {
        let agent = try await fixture.liveAgent(as: admin, provider: provider) { $0.systemMessage = "Versão um." }
        #expect(try await nextPrompt(fixture, agent, provider).contains("Versão um."))
        try await fixture.database.execute(
            "UPDATE agents SET system_message = 'Versão dois.' WHERE id = $1::uuid", [agent.id])
        return agent
    }

    @Test("another replica's change shows once the time has passed; this replica's own, at the next reply")
    func keptUntilChanged() async throws {
        let fixture = try await fixture(ttl: .seconds(2))
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let admin = AgentsFixture.principal()
        // Another replica's change: this replica keeps what it read…
        let agent = try await agentChangedElsewhere(fixture, provider, as: admin)
        #expect(try await nextPrompt(fixture, agent, provider).contains("Versão um."))
        // …for at most its time.
        try await Task.sleep(for: .milliseconds(2100))
        #expect(try await nextPrompt(fixture, agent, provider).contains("Versão dois."))

        // A change made through this replica applies to the very next reply: the agent…
        _ = try await fixture.call(
            Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: agent.id, systemMessage: "Versão três."),
            as: admin)
        #expect(try await nextPrompt(fixture, agent, provider).contains("Versão três."))
        // …a script…
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "novo", type: "prompt_modifier", content: "MODIFICADOR NOVO", priority: 1),
            as: admin)
        #expect(try await nextPrompt(fixture, agent, provider).contains("MODIFICADOR NOVO"))
        // …and unpublishing it: no reply at once.
        _ = try await fixture.call(
            Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: agent.id, published: false), as: admin)
        let after = try await fixture.generate(agent, history: [turn("contact", "Oi")])
        #expect(after.outcome == .noReply)
        #expect(after.detail == "the agent is not published")
    }

    @Test("with the time set to zero every reply reads the agent")
    func off() async throws {
        let fixture = try await fixture(ttl: .zero)
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let agent = try await agentChangedElsewhere(fixture, provider, as: AgentsFixture.principal())
        #expect(try await nextPrompt(fixture, agent, provider).contains("Versão dois."))
    }

    @Test("a read under way when this replica writes is not kept")
    func generations() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let created = try await fixture.createAgent(as: admin)
        let organization = try #require(UUID(uuidString: admin.organizationId))
        let agentID = try #require(UUID(uuidString: created.id))
        let found = try await fixture.database.withConnection { connection in
            try await AgentStore.find(id: agentID, organizationID: organization, on: connection)
        }
        let agent = try #require(found)
        let cache = ReplyConfigurations(ttl: .seconds(60))
        let generation = cache.generation
        cache.dropAll()
        cache.keep(agent, scripts: [], readAt: .now, generation: generation)
        #expect(cache.fresh(agent.id, organizationID: organization) == nil)
        cache.keep(agent, scripts: [], readAt: .now, generation: cache.generation)
        #expect(cache.fresh(agent.id, organizationID: organization) != nil)
        // Another organization's id finds nothing.
        #expect(cache.fresh(agent.id, organizationID: UUID()) == nil)
    }
}
