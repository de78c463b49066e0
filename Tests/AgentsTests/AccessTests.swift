import Contracts
import Foundation
import RPC
import Testing

@testable import AgentsService

@Suite("Tenant isolation and roles")
struct AccessTests {
    /// Every agent-scoped method called with `agentID`, answering its status.
    static func everyEndpoint(
        _ fixture: AgentsFixture, agentID: String, scriptID: String, as principal: Principal
    ) async -> [(String, RPCError.Code?)] {
        [
            (
                "get",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.getAgent, Agents.GetAgentRequest(agentId: agentID), as: principal)
                }
            ),
            (
                "update",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: agentID, tone: "formal"),
                        as: principal)
                }
            ),
            (
                "publish",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.publishAgent, Agents.PublishAgentRequest(agentId: agentID, published: true),
                        as: principal)
                }
            ),
            (
                "set key",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.setProviderKey,
                        Agents.SetProviderKeyRequest(agentId: agentID, providerKey: "sk-intruder-0000"), as: principal)
                }
            ),
            (
                "delete key",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.deleteProviderKey, Agents.DeleteProviderKeyRequest(agentId: agentID),
                        as: principal)
                }
            ),
            (
                "versions",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.listAgentVersions, Agents.ListAgentVersionsRequest(agentId: agentID),
                        as: principal)
                }
            ),
            (
                "compare",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.compareAgentVersions,
                        Agents.CompareAgentVersionsRequest(agentId: agentID, fromVersion: 1, toVersion: 1),
                        as: principal)
                }
            ),
            (
                "restore",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.restoreAgentVersion,
                        Agents.RestoreAgentVersionRequest(agentId: agentID, version: 1),
                        as: principal)
                }
            ),
            (
                "scripts",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.listScripts, Agents.ListScriptsRequest(agentId: agentID), as: principal)
                }
            ),
            (
                "create script",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.createScript,
                        Agents.CreateScriptRequest(
                            agentId: agentID, name: "x", type: "prompt_modifier", content: "x"), as: principal)
                }
            ),
            (
                "update script",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.updateScript,
                        Agents.UpdateScriptRequest(agentId: agentID, scriptId: scriptID, priority: 3), as: principal)
                }
            ),
            (
                "delete script",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.deleteScript, Agents.DeleteScriptRequest(agentId: agentID, scriptId: scriptID),
                        as: principal)
                }
            ),
            (
                "preview",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.previewReply, Agents.PreviewReplyRequest(agentId: agentID, message: "oi"),
                        as: principal)
                }
            ),
            (
                "delete",
                await fixture.failure {
                    try await fixture.call(
                        Agents.Service.deleteAgent, Agents.DeleteAgentRequest(agentId: agentID), as: principal)
                }
            ),
        ]
    }

    @Test("another organization's agent is NOT_FOUND on every method, and nothing changes")
    func isolation() async throws {
        let fixture = try await AgentsFixture.shared()
        let owner = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: owner)
        let script = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(agentId: agent.id, name: "s", type: "prompt_modifier", content: "Oi"), as: owner)
        let intruder = AgentsFixture.principal()
        for (name, code) in await Self.everyEndpoint(fixture, agentID: agent.id, scriptID: script.id, as: intruder) {
            #expect(code == .notFound, "\(name)")
        }
        let list = try await fixture.call(Agents.Service.listAgents, Agents.ListAgentsRequest(), as: intruder)
        #expect(list.agents.isEmpty)
        let after = try await fixture.call(
            Agents.Service.getAgent, Agents.GetAgentRequest(agentId: agent.id), as: owner)
        #expect(after.tone == "friendly" && after.configVersion == 1 && !after.providerKeySet && !after.isPublished)
        // Service callers name the organization: the wrong one is NOT_FOUND too.
        let status = await fixture.failure {
            try await fixture.callAsConversations(
                Agents.Service.getAgentStatus,
                Agents.GetAgentStatusRequest(organizationId: intruder.organizationId, agentId: agent.id))
        }
        #expect(status == .notFound)
        let reply = await fixture.failure {
            try await fixture.callAsConversations(
                Agents.Service.generateReply,
                Agents.GenerateReplyRequest(
                    organizationId: intruder.organizationId, agentId: agent.id, history: [turn("contact", "oi")]))
        }
        #expect(reply == .notFound)
    }

    @Test("a consultant reads agents but may not change them; no principal is UNAUTHENTICATED")
    func roles() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        let script = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(agentId: agent.id, name: "s", type: "prompt_modifier", content: "Oi"), as: admin)
        let consultant = Principal(organizationId: admin.organizationId, userId: admin.userId, role: "consultant")
        let reads: Set<String> = ["get", "versions", "compare", "scripts"]
        for (name, code) in await AccessTests.everyEndpoint(
            fixture, agentID: agent.id, scriptID: script.id, as: consultant)
        {
            #expect(code == (reads.contains(name) ? nil : .permissionDenied), "\(name)")
        }
        let create = await fixture.failure { try await fixture.createAgent(as: consultant) }
        #expect(create == .permissionDenied)
        let manager = Principal(organizationId: admin.organizationId, userId: admin.userId, role: "manager")
        _ = try await fixture.call(
            Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: agent.id, tone: "casual"), as: manager)
        // An API key without the agents:write scope.
        let key = Principal(
            organizationId: admin.organizationId, userId: admin.userId, role: "admin", apiKeyId: "k",
            scopes: ["agents:read"])
        let scoped = await fixture.failure {
            try await fixture.call(
                Agents.Service.updateAgent, Agents.UpdateAgentRequest(agentId: agent.id, tone: "formal"), as: key)
        }
        #expect(scoped == .permissionDenied)
        let anonymous = await fixture.failure {
            try await fixture.call(Agents.Service.listAgents, Agents.ListAgentsRequest(), as: Principal())
        }
        #expect(anonymous == .unauthenticated)
    }

    @Test("GenerateReply is for conversations only; the gateway is refused")
    func serviceOnly() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        let code = await fixture.failure {
            try await fixture.call(
                Agents.Service.generateReply,
                Agents.GenerateReplyRequest(organizationId: admin.organizationId, agentId: agent.id), as: admin)
        }
        #expect(code == .permissionDenied)
    }
}
