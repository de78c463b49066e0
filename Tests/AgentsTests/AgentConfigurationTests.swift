import Contracts
import Foundation
import Postgres
import RPC
import Synchronization
import Testing

@testable import AgentsService

@Suite("Agent configuration")
struct AgentConfigurationTests {
    @Test("an agent is created with its defaults, version 1 and an agent.created event")
    func create() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        #expect(agent.name == "Ana")
        #expect(agent.tone == "friendly")
        #expect(agent.temperature == 0.7)
        #expect(agent.maxTokens == 1000)
        #expect(agent.languages == ["pt-BR"])
        #expect(agent.defaultLanguage == "pt-BR")
        #expect(agent.model == "")
        #expect(agent.effectiveModel == "test-default-model")
        #expect(agent.configVersion == 1)
        #expect(!agent.isPublished)
        #expect(!agent.providerKeySet)
        let versions = try await fixture.call(
            Agents.Service.listAgentVersions, Agents.ListAgentVersionsRequest(agentId: agent.id), as: admin)
        #expect(versions.versions.map(\.version) == [1])
        #expect(versions.versions[0].reason == "create")
        let events = try await fixture.events(agentID: agent.id)
        #expect(events.count == 1)
        #expect(events[0].hasPrefix("agent.created"))
    }

    @Test("invalid fields are refused with a message naming the field")
    func validation() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let cases: [(String, (inout Agents.CreateAgentRequest) -> Void)] = [
            ("name", { $0.name = " " }),
            ("tone", { $0.tone = "sarcastic" }),
            ("temperature", { $0.temperature = 2.5 }),
            ("max_tokens", { $0.maxTokens = 0 }),
            (
                "default_language",
                {
                    $0.languages = ["en"]; $0.defaultLanguage = "pt-BR"
                }
            ),
            ("languages", { $0.languages = ["português"] }),
            ("context_data", { $0.contextDataJson = "[1,2]" }),
            ("handoff_rules", { $0.handoffRulesJson = #"{"max_ai_turns": "ten"}"# }),
            ("handoff_rules", { $0.handoffRulesJson = #"{"keyword": ["x"]}"# }),
            (
                "lead_qualification_rules",
                { $0.leadQualificationRulesJson = #"{"ranges": [{"min": 10, "temperature": "boiling"}]}"# }
            ),
            ("provider_base_url", { $0.providerBaseUrl = "ftp://example.com" }),
            ("model", { $0.model = "gpt 4; DROP" }),
        ]
        for (field, change) in cases {
            do {
                _ = try await fixture.createAgent(as: admin, change)
                Issue.record("\(field) was accepted")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument, "\(field)")
                #expect(error.message.contains(field), "\(field): \(error.message)")
            }
        }
        do {
            _ = try await fixture.createAgent(as: admin) {
                $0.handoffRulesJson = #"{"business_hours": {"days": ["mon"], "start": "9h", "end": "18:00"}}"#
            }
            Issue.record("bad hours accepted")
        } catch let error as RPCError {
            #expect(error.message.contains("business_hours.start"))
        }
    }

    @Test("a private provider base URL is refused unless the platform allows it")
    func privateBaseURL() async throws {
        var configuration = AgentsFixture.configuration
        configuration.allowPrivateProviderURLs = false
        let fixture = try await AgentsFixture.shared().with(configuration: configuration)
        let admin = AgentsFixture.principal()
        for url in ["http://127.0.0.1:8080/v1", "http://localhost/v1", "http://10.1.2.3/v1", "http://169.254.169.254/"]
        {
            let code = await fixture.failure { try await fixture.createAgent(as: admin) { $0.providerBaseUrl = url } }
            #expect(code == .invalidArgument, "\(url)")
        }
        let agent = try await fixture.createAgent(as: admin) { $0.providerBaseUrl = "https://llm.example.com/v1" }
        #expect(agent.providerBaseUrl == "https://llm.example.com/v1")
    }

    @Test("the plan's max_agents bounds creation with RESOURCE_EXHAUSTED naming the limit")
    func planLimit() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        fixture.identity.maxAgents.withLock { $0[admin.organizationId] = 2 }
        _ = try await fixture.createAgent(as: admin)
        _ = try await fixture.createAgent(as: admin)
        do {
            _ = try await fixture.createAgent(as: admin)
            Issue.record("a third agent was created")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted)
            #expect(error.message == "plan limit reached: max_agents is 2")
        }
        // Deleting one frees a place.
        let list = try await fixture.call(Agents.Service.listAgents, Agents.ListAgentsRequest(), as: admin)
        _ = try await fixture.call(
            Agents.Service.deleteAgent, Agents.DeleteAgentRequest(agentId: list.agents[0].id), as: admin)
        _ = try await fixture.createAgent(as: admin)
    }

    @Test("concurrent creations never pass the plan limit")
    func planLimitRace() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        fixture.identity.maxAgents.withLock { $0[admin.organizationId] = 3 }
        let created = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { (try? await fixture.createAgent(as: admin)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(created == 3)
        let list = try await fixture.call(Agents.Service.listAgents, Agents.ListAgentsRequest(), as: admin)
        #expect(list.agents.count == 3)
    }

    @Test("updates are versions that can be listed, compared and restored")
    func versions() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        let second = try await fixture.call(
            Agents.Service.updateAgent,
            Agents.UpdateAgentRequest(agentId: agent.id, tone: "formal", temperature: 0.2), as: admin)
        #expect(second.configVersion == 2)
        #expect(second.tone == "formal")
        let third = try await fixture.call(
            Agents.Service.updateAgent,
            Agents.UpdateAgentRequest(agentId: agent.id, handoffRulesJson: #"{"max_ai_turns": 5}"#), as: admin)
        #expect(third.configVersion == 3)
        // Nothing changed: no new version.
        let same = try await fixture.call(
            Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: agent.id, tone: "formal"), as: admin)
        #expect(same.configVersion == 3)

        let compared = try await fixture.call(
            Agents.Service.compareAgentVersions,
            Agents.CompareAgentVersionsRequest(agentId: agent.id, fromVersion: 1, toVersion: 3), as: admin)
        #expect(compared.changes.map(\.field) == ["handoff_rules", "temperature", "tone"])
        let tone = compared.changes.first { $0.field == "tone" }
        #expect(tone?.fromJson == #""friendly""#)
        #expect(tone?.toJson == #""formal""#)

        let restored = try await fixture.call(
            Agents.Service.restoreAgentVersion, Agents.RestoreAgentVersionRequest(agentId: agent.id, version: 1),
            as: admin)
        #expect(restored.configVersion == 4)
        #expect(restored.tone == "friendly")
        #expect(restored.temperature == 0.7)
        #expect(restored.handoffRulesJson == "{}")
        let versions = try await fixture.call(
            Agents.Service.listAgentVersions, Agents.ListAgentVersionsRequest(agentId: agent.id), as: admin)
        #expect(versions.versions.map(\.version) == [4, 3, 2, 1])
        #expect(versions.versions[0].reason == "restore")
        #expect(versions.versions[0].restoredFrom == 1)
        let unchanged = try await fixture.call(
            Agents.Service.compareAgentVersions,
            Agents.CompareAgentVersionsRequest(agentId: agent.id, fromVersion: 1, toVersion: 4), as: admin)
        #expect(unchanged.changes.isEmpty)
        let missing = await fixture.failure {
            try await fixture.call(
                Agents.Service.restoreAgentVersion, Agents.RestoreAgentVersionRequest(agentId: agent.id, version: 99),
                as: admin)
        }
        #expect(missing == .notFound)
    }

    @Test("publishing needs an active agent; unpublishing works")
    func publish() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin) { $0.status = "training" }
        let refused = await fixture.failure {
            try await fixture.call(
                Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: agent.id, published: true), as: admin)
        }
        #expect(refused == .failedPrecondition)
        _ = try await fixture.call(
            Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: agent.id, status: "active"), as: admin)
        let published = try await fixture.call(
            Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: agent.id, published: true), as: admin)
        #expect(published.isPublished)
        let status = try await fixture.callAsConversations(
            Agents.Service.getAgentStatus,
            Agents.GetAgentStatusRequest(organizationId: admin.organizationId, agentId: agent.id))
        #expect(status.published && status.status == "active" && status.autoResponseEnabled)
        let unpublished = try await fixture.call(
            Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: agent.id, published: false), as: admin)
        #expect(!unpublished.isPublished)
    }
}
