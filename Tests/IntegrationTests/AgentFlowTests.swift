import Contracts
import Foundation
import Logging
import RPC
import TestSupport
import Testing

/// Agents through the real gateway and the real agents process (with identity for the plan
/// limit), and GenerateReply over the agents socket as conversations calls it, against a fake
/// OpenAI-compatible server on 127.0.0.1.
@Suite("Agent flows through the gateway", .serialized)
struct AgentFlowTests {
    static let environment = [
        "SMARTERCHAT_ENCRYPTION_KEYS":
            "it1:\(Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())",
        "SMARTERCHAT_AGENTS_ALLOW_PRIVATE_PROVIDER_URLS": "true",
        "SMARTERCHAT_AGENTS_DEFAULT_MODEL": "integration-model",
        "SMARTERCHAT_AGENTS_PROVIDER_BACKOFF_MS": "20",
    ]
    static let key = "sk-integration-TOPSECRET-9876"

    /// A new (unpublished, keyless) agent of `token`'s organization, for channels to link to.
    static func createAgent(_ platform: RunningPlatform, token: String) async throws -> String {
        let created = try await platform.request(
            "POST", "/api/v1/agents",
            json: ["name": "Ana", "personality": "Simpática", "objective": "Atender", "system_message": "Você é Ana."],
            token: token)
        try #require(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        return try #require(created.json["id"] as? String)
    }

    /// The agent operations of docs/openapi.yaml as `METHOD /path`.
    static func documentedAgentEndpoints() throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        var endpoints: [String] = [], path: String?
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                let candidate = String(line.dropFirst(2).dropLast())
                path = candidate.hasPrefix("/agents") ? candidate : nil
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let word = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(word)) {
                    endpoints.append("\(word.uppercased()) \(path)")
                }
            } else if !line.hasPrefix(" ") {
                path = nil
            }
        }
        return endpoints
    }

    @Test("CRUD, plan limit, provider key, versions, scripts, preview, isolation, GenerateReply")
    func agentFlow() async throws {
        let provider = try await FakeChatCompletionsProvider.start()
        defer { provider.stop() }
        try await RunningPlatform.withHealthy(logOf: "agents", environment: Self.environment) { platform in
            try await run(platform, provider)
        }
    }

    func run(_ platform: RunningPlatform, _ provider: FakeChatCompletionsProvider) async throws {
        let signedUp = try await IdentityFlowTests.signUp(platform, slug: "agents-org", email: "ana@agents.example")
        let token = try IdentityFlowTests.Tokens(signedUp).access

        // Create: 201, JSON members as objects, defaults, no key.
        let created = try await platform.request(
            "POST", "/api/v1/agents",
            json: [
                "name": "Ana", "personality": "Simpática", "objective": "Qualificar leads",
                "system_message": "Você é Ana.", "tone": "friendly", "provider_base_url": provider.baseURL,
                "context_data": ["loja": "Centro"], "handoff_rules": ["max_ai_turns": 5],
            ], token: token)
        #expect(created.status == 201)
        let agentID = try #require(created.json["id"] as? String)
        #expect((created.json["context_data"] as? [String: Any])?["loja"] as? String == "Centro")
        #expect((created.json["handoff_rules"] as? [String: Any])?["max_ai_turns"] as? Int == 5)
        #expect(created.json["effective_model"] as? String == "integration-model")
        #expect(created.json["provider_key_set"] as? Bool == false)
        #expect(created.json["config_version"] as? Int == 1)

        // The free plan allows one agent.
        let second = try await platform.request(
            "POST", "/api/v1/agents",
            json: ["name": "B", "personality": "p", "objective": "o", "system_message": "s"], token: token)
        #expect(second.status == 403 && second.errorCode == "plan_limit_exceeded")
        // A bad member type is 400 invalid_json; a bad value 400 invalid_argument naming it.
        let badType = try await platform.request(
            "PATCH", "/api/v1/agents/\(agentID)", json: ["context_data": "not an object"], token: token)
        #expect(badType.status == 400 && badType.errorCode == "invalid_json")
        let badValue = try await platform.request(
            "PATCH", "/api/v1/agents/\(agentID)", json: ["temperature": 7], token: token)
        #expect(badValue.status == 400)
        #expect(String(decoding: badValue.body, as: UTF8.self).contains("temperature"))

        // The provider key is write-only.
        let keyed = try await platform.request(
            "PUT", "/api/v1/agents/\(agentID)/provider-key", json: ["provider_key": Self.key], token: token)
        #expect(keyed.status == 200)
        #expect(keyed.json["provider_key_set"] as? Bool == true)
        #expect(keyed.json["provider_key_last4"] as? String == "9876")
        let read = try await platform.request("GET", "/api/v1/agents/\(agentID)", token: token)
        #expect(!String(decoding: read.body, as: UTF8.self).contains("TOPSECRET"))

        // Versions: update, compare, restore.
        let patched = try await platform.request(
            "PATCH", "/api/v1/agents/\(agentID)", json: ["tone": "formal", "languages": ["pt-BR", "en"]], token: token)
        #expect(patched.status == 200 && patched.json["config_version"] as? Int == 2)
        #expect(patched.json["languages"] as? [String] == ["pt-BR", "en"])
        let compared = try await platform.request(
            "GET", "/api/v1/agents/\(agentID)/versions/compare?from=1&to=2", token: token)
        let changes = try #require(compared.json["changes"] as? [[String: Any]])
        #expect(changes.compactMap { $0["field"] as? String } == ["languages", "tone"])
        #expect(changes.last?["from"] as? String == "friendly")
        let restored = try await platform.request(
            "POST", "/api/v1/agents/\(agentID)/versions/1/restore", token: token)
        #expect(restored.json["tone"] as? String == "friendly" && restored.json["config_version"] as? Int == 3)
        let versions = try await platform.request("GET", "/api/v1/agents/\(agentID)/versions", token: token)
        #expect((versions.json["versions"] as? [[String: Any]])?.count == 3)

        // Scripts: an invalid one says where; a valid filter applies to the preview.
        let invalid = try await platform.request(
            "POST", "/api/v1/agents/\(agentID)/scripts",
            json: ["name": "f", "type": "response_filter", "content": #"{"rules":[{"type":"max_length"}]}"#],
            token: token)
        #expect(invalid.status == 400)
        #expect(String(decoding: invalid.body, as: UTF8.self).contains("rules[0].max"))
        let script = try await platform.request(
            "POST", "/api/v1/agents/\(agentID)/scripts",
            json: [
                "name": "footer", "type": "response_filter",
                "content": #"{"rules":[{"type":"append","text":"— Acme"}]}"#,
            ], token: token)
        #expect(script.status == 201)

        // Preview: the provider sees the bearer key and the prompt; tools are not applied.
        provider.script(
            .tools([.init(name: "capture_lead_fields", arguments: #"{"email":"x@y.com"}"#)]),
            .analysis("Olá! Como posso ajudar?", intent: "greeting", confidence: 0.8))
        let preview = try await platform.request(
            "POST", "/api/v1/agents/\(agentID)/preview", json: ["message": "Oi, meu email é x@y.com"], token: token)
        #expect(preview.status == 200)
        let reply = try #require(preview.json["reply"] as? [String: Any])
        #expect(reply["content"] as? String == "Olá! Como posso ajudar?\n\n— Acme")
        #expect(reply["outcome"] as? String == "REPLIED")
        #expect((preview.json["prompt"] as? [[String: Any]])?.first?["role"] as? String == "system")
        #expect((preview.json["tool_calls"] as? [[String: Any]])?.first?["name"] as? String == "capture_lead_fields")
        #expect(provider.received.first?.authorization == "Bearer \(Self.key)")

        // Another organization sees nothing: 404 everywhere.
        let other = try IdentityFlowTests.Tokens(
            try await IdentityFlowTests.signUp(platform, slug: "other-org", email: "bob@other.example")
        ).access
        let scriptID = try #require(script.json["id"] as? String)
        let endpoints = try Self.documentedAgentEndpoints()
        #expect(endpoints.count == 17)
        for endpoint in endpoints where endpoint.contains("{id}") {
            let parts = endpoint.split(separator: " ", maxSplits: 1)
            let path =
                "/api/v1"
                + parts[1].replacingOccurrences(of: "{id}", with: agentID)
                .replacingOccurrences(of: "{script_id}", with: scriptID).replacingOccurrences(
                    of: "{version}", with: "1")
                + (endpoint.hasSuffix("/compare") ? "?from=1&to=2" : "")
            let method = String(parts[0])
            let body =
                ["GET", "DELETE"].contains(method)
                ? nil
                : #"{"message":"oi","tone":"formal","provider_key":"sk-intruder-key","name":"x","type":"prompt_modifier","content":"x"}"#
            let answer = try await platform.request(method, path, body: body, token: other)
            #expect(answer.status == 404, "\(endpoint): \(answer.status)")
        }
        let otherList = try await platform.request("GET", "/api/v1/agents", token: other)
        #expect((otherList.json["agents"] as? [Any])?.isEmpty == true)

        // Publish, then GenerateReply as conversations over the agents socket.
        let published = try await platform.request("POST", "/api/v1/agents/\(agentID)/publish", token: token)
        #expect(published.json["is_published"] as? Bool == true)
        let organizationID = try #require(created.json["organization_id"] as? String)
        let client = RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: "agents", runDirectory: platform.runDirectory.path, callerName: "conversations"),
            logger: Logger(label: "AgentFlowTests"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            provider.script(.analysis("Bom dia, Maria!", intent: "greeting", confidence: 0.9))
            let generated = try await client.call(
                Agents.Service.generateReply,
                Agents.GenerateReplyRequest(
                    organizationId: organizationID, agentId: agentID, conversationId: UUID().uuidString.lowercased(),
                    channelType: "whatsapp", contactName: "Maria",
                    history: [Agents.ConversationTurn(senderType: "contact", content: "Bom dia", messageType: "text")],
                    timeZone: "America/Sao_Paulo"),
                metadata: CallMetadata(requestID: "it", caller: "conversations"), timeout: .seconds(30))
            #expect(generated.outcome == .replied)
            #expect(generated.content == "Bom dia, Maria!\n\n— Acme")
            #expect(generated.intent == "greeting")
            provider.script(
                .error(503, code: "overloaded"), .error(503, code: "overloaded"), .error(503, code: "overloaded"))
            let failed = try await client.call(
                Agents.Service.generateReply,
                Agents.GenerateReplyRequest(
                    organizationId: organizationID, agentId: agentID,
                    history: [Agents.ConversationTurn(senderType: "contact", content: "Oi", messageType: "text")]),
                metadata: CallMetadata(requestID: "it", caller: "conversations"), timeout: .seconds(30))
            #expect(failed.outcome == .failed && failed.handoff)
        }
        // The metrics are written in batches every half second.
        var metrics = try await platform.request("GET", "/api/v1/agents/\(agentID)", token: token)
        for _ in 0..<50 where metrics.json["total_conversations"] as? Int != 1 {
            try await Task.sleep(for: .milliseconds(100))
            metrics = try await platform.request("GET", "/api/v1/agents/\(agentID)", token: token)
        }
        #expect(metrics.json["total_conversations"] as? Int == 1)

        // Tools against the real crm: the lead's fields and qualification, with activities.
        let crm = RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: "crm", runDirectory: platform.runDirectory.path, callerName: "conversations"),
            logger: Logger(label: "AgentFlowTests"))
        let agents = RPCClient(
            configuration: RPCClientConfiguration(
                serviceName: "agents", runDirectory: platform.runDirectory.path, callerName: "conversations"),
            logger: Logger(label: "AgentFlowTests"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agents.run() }
            group.addTask { try await crm.run() }
            defer { group.cancelAll() }
            let conversationID = UUID().uuidString.lowercased()
            let lead = try #require(
                try await crm.call(
                    CRM.Service.findOrCreateLead,
                    CRM.FindOrCreateLeadRequest(
                        organizationId: organizationID, source: "whatsapp", phone: "+5511987654321", name: "Maria",
                        conversationId: conversationID),
                    metadata: CallMetadata(requestID: "it", caller: "conversations"), timeout: .seconds(10)
                ).lead)
            provider.script(
                .tools([
                    .init(name: "capture_lead_fields", arguments: #"{"email":"maria@acme.com.br","company":"Acme"}"#)
                ]),
                .tools([
                    .init(name: "qualify_lead", arguments: #"{"temperature":"hot","score":82,"reason":"orçamento"}"#)
                ]),
                .analysis("Anotado, Maria!", intent: "purchase", confidence: 0.85))
            let generated = try await agents.call(
                Agents.Service.generateReply,
                Agents.GenerateReplyRequest(
                    organizationId: organizationID, agentId: agentID, conversationId: conversationID, leadId: lead.id,
                    channelType: "whatsapp", contactName: "Maria",
                    history: [
                        Agents.ConversationTurn(
                            senderType: "contact", content: "Sou da Acme, maria@acme.com.br", messageType: "text")
                    ], aiTurns: 1, timeZone: "America/Sao_Paulo"),
                metadata: CallMetadata(requestID: "it", caller: "conversations"), timeout: .seconds(30))
            #expect(generated.outcome == .replied)
            #expect(generated.content == "Anotado, Maria!\n\n— Acme")
        }
        let leadID = try #require(
            try await platform.request("GET", "/api/v1/leads", token: token).json["leads"].flatMap {
                ($0 as? [[String: Any]])?.first?["id"] as? String
            })
        let stored = try await platform.request("GET", "/api/v1/leads/\(leadID)", token: token)
        let leadJSON = (stored.json["lead"] as? [String: Any]) ?? stored.json
        #expect(leadJSON["email"] as? String == "maria@acme.com.br")
        #expect(leadJSON["company"] as? String == "Acme")
        #expect(leadJSON["temperature"] as? String == "hot")
        #expect(leadJSON["score"] as? Int == 82)
        let timeline = try await platform.request("GET", "/api/v1/leads/\(leadID)/timeline", token: token)
        let types = (timeline.json["activities"] as? [[String: Any]])?.compactMap { $0["type"] as? String } ?? []
        #expect(types.contains("field_capture") && types.contains("qualification"), "\(types)")

        // The key never reaches a log.
        #expect(!platform.log(of: "agents").contains("TOPSECRET"))
        #expect(!platform.log(of: "gateway").contains("TOPSECRET"))
    }
}
