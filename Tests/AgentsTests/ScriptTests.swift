import Contracts
import Foundation
import RPC
import Testing

@testable import AgentsService

@Suite("Scripts")
struct ScriptTests {
    @Test("scripts are listed by priority, edited and deleted")
    func crud() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        let low = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "low", type: "prompt_modifier", content: "Olá {{contact.name}}", priority: 1),
            as: admin)
        let high = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "high", type: "response_filter",
                content: #"{"rules": [{"type": "append", "text": "Equipe"}]}"#, priority: 5), as: admin)
        #expect(low.enabled && high.priority == 5)
        var list = try await fixture.call(
            Agents.Service.listScripts, Agents.ListScriptsRequest(agentId: agent.id), as: admin)
        #expect(list.scripts.map(\.name) == ["high", "low"])
        let edited = try await fixture.call(
            Agents.Service.updateScript,
            Agents.UpdateScriptRequest(agentId: agent.id, scriptId: low.id, priority: 9, enabled: false), as: admin)
        #expect(edited.priority == 9 && !edited.enabled)
        list = try await fixture.call(
            Agents.Service.listScripts, Agents.ListScriptsRequest(agentId: agent.id), as: admin)
        #expect(list.scripts.map(\.name) == ["low", "high"])
        _ = try await fixture.call(
            Agents.Service.deleteScript, Agents.DeleteScriptRequest(agentId: agent.id, scriptId: high.id), as: admin)
        list = try await fixture.call(
            Agents.Service.listScripts, Agents.ListScriptsRequest(agentId: agent.id), as: admin)
        #expect(list.scripts.map(\.name) == ["low"])
        let again = await fixture.failure {
            try await fixture.call(
                Agents.Service.deleteScript, Agents.DeleteScriptRequest(agentId: agent.id, scriptId: high.id), as: admin
            )
        }
        #expect(again == .notFound)
    }

    @Test(
        "an invalid script is refused with a message that says where it is wrong",
        arguments: [
            ("prompt_modifier", "Olá {{#lead}}{{name}}", "line 1"),
            ("prompt_modifier", "linha um\nOlá {{contact.name", "line 2"),
            ("prompt_modifier", "   ", "empty"),
            ("response_filter", "{not json", "not valid JSON"),
            ("response_filter", #"{"rules": []}"#, "rules"),
            ("response_filter", #"{"rules": [{"type": "replace", "pattern": "([a-z"}]}"#, "rules[0].pattern"),
            ("response_filter", #"{"rules": [{"type": "append"}, {"type": "shout"}]}"#, "rules[0].text"),
            ("response_filter", #"{"rules": [{"type": "max_length", "max": 5}]}"#, "rules[0].max"),
            ("response_filter", #"{"rules": [{"type": "forbid", "phrases": ["ok", 3]}]}"#, "rules[0].phrases[1]"),
            ("intent_handler", #"{"keywords": ["x"], "reply": "y"}"#, "intent"),
            ("intent_handler", #"{"intent": "x"}"#, "needs a reply or at least one action"),
            (
                "intent_handler", #"{"intent": "x", "actions": [{"type": "set_lead_status", "status": "won"}]}"#,
                "actions[0].status"
            ),
            (
                "intent_handler", #"{"intent": "x", "actions": [{"type": "run", "code": "rm -rf /"}]}"#,
                "actions[0].type"
            ),
            ("intent_handler", #"{"intent": "x", "reply": "y", "extra": 1}"#, "extra"),
        ])
    func invalid(type: String, content: String, where location: String) async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        do {
            _ = try await fixture.call(
                Agents.Service.createScript,
                Agents.CreateScriptRequest(agentId: agent.id, name: "bad", type: type, content: content), as: admin)
            Issue.record("accepted: \(content)")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(location), "\(error.message)")
        }
    }

    @Test("an update that breaks a script is refused and the script keeps its content")
    func invalidUpdate() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        let script = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "f", type: "response_filter",
                content: #"{"rules":[{"type":"max_length","max":100}]}"#),
            as: admin)
        let code = await fixture.failure {
            try await fixture.call(
                Agents.Service.updateScript,
                Agents.UpdateScriptRequest(agentId: agent.id, scriptId: script.id, content: #"{"rules": 1}"#), as: admin
            )
        }
        #expect(code == .invalidArgument)
        let list = try await fixture.call(
            Agents.Service.listScripts, Agents.ListScriptsRequest(agentId: agent.id), as: admin)
        #expect(list.scripts.first?.content == script.content)
    }

    @Test("an unknown type is refused")
    func unknownType() async throws {
        let fixture = try await AgentsFixture.shared()
        let admin = AgentsFixture.principal()
        let agent = try await fixture.createAgent(as: admin)
        let code = await fixture.failure {
            try await fixture.call(
                Agents.Service.createScript,
                Agents.CreateScriptRequest(agentId: agent.id, name: "x", type: "javascript", content: "alert(1)"),
                as: admin)
        }
        #expect(code == .invalidArgument)
    }

    @Test("a template renders only data: HTML is not escaped, partials render nothing")
    func templateIsData() throws {
        let modifier = try PromptModifier(text: "{{contact.name}} & {{> secrets}} {{lead.email}}")
        let text = modifier.render(["contact": ["name": "Ana <Maria>"], "lead": ["email": "a@b.c"]])
        #expect(text == "Ana <Maria> &  a@b.c")
    }
}
