import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC

/// The agent routes of the REST API (`/api/v1`, authenticated), documented in
/// docs/openapi.yaml: agents CRUD (`/agents`, `/agents/{id}`), `POST /agents/{id}/publish`,
/// `POST /agents/{id}/unpublish`, `PUT|DELETE /agents/{id}/provider-key`, versions
/// (`GET /agents/{id}/versions`, `GET /agents/{id}/versions/compare?from=&to=`,
/// `POST /agents/{id}/versions/{version}/restore`), scripts (`/agents/{id}/scripts`,
/// `/agents/{id}/scripts/{script_id}`) and `POST /agents/{id}/preview`.
///
/// Members the contracts carry as JSON text (`context_data_json`, ...) are JSON values here,
/// named without the suffix (``EmbeddedJSON``).
struct AgentRoutes: Sendable {
    let agents: any RPCCaller
    let timeout: Duration = .seconds(10)
    /// The preview waits for the provider (retries included).
    let previewTimeout: Duration = .seconds(90)

    /// Request members given as JSON objects and carried as text.
    static let objectMembers: Set<String> = ["context_data", "handoff_rules", "lead_qualification_rules"]

    func register(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("agents") { _, context in
            try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.listAgents, Agents.ListAgentsRequest(), metadata: context.callMetadata,
                    timeout: timeout))
        }
        authenticated.post("agents") { request, context in
            let body = try await EmbeddedJSON.decode(
                Agents.CreateAgentRequest.self, from: request, objects: Self.objectMembers)
            do {
                return try EmbeddedJSON.response(
                    try await agents.call(
                        Agents.Service.createAgent, body, metadata: context.callMetadata, timeout: timeout),
                    status: .created)
            } catch let error as RPCError where error.code == .resourceExhausted {
                // On this route RESOURCE_EXHAUSTED only ever means the plan's max_agents.
                throw APIError(status: .forbidden, code: "plan_limit_exceeded", message: error.message)
            }
        }
        authenticated.get("agents/:id") { _, context in
            try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.getAgent, Agents.GetAgentRequest(agentId: try context.parameters.require("id")),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.patch("agents/:id") { request, context in
            var body = try await EmbeddedJSON.decode(
                Agents.UpdateAgentRequest.self, from: request, objects: Self.objectMembers,
                presence: ["languages": "set_languages"])
            body.agentId = try context.parameters.require("id")
            return try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.updateAgent, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.delete("agents/:id") { _, context in
            _ = try await agents.call(
                Agents.Service.deleteAgent, Agents.DeleteAgentRequest(agentId: try context.parameters.require("id")),
                metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
        for (path, published) in [("publish", true), ("unpublish", false)] {
            authenticated.post("agents/:id/\(path)") { _, context in
                try EmbeddedJSON.response(
                    try await agents.call(
                        Agents.Service.publishAgent,
                        Agents.PublishAgentRequest(agentId: try context.parameters.require("id"), published: published),
                        metadata: context.callMetadata, timeout: timeout))
            }
        }
        authenticated.put("agents/:id/provider-key") { request, context in
            var body = try await JSONBody.decode(Agents.SetProviderKeyRequest.self, from: request)
            body.agentId = try context.parameters.require("id")
            return try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.setProviderKey, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.delete("agents/:id/provider-key") { _, context in
            try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.deleteProviderKey,
                    Agents.DeleteProviderKeyRequest(agentId: try context.parameters.require("id")),
                    metadata: context.callMetadata, timeout: timeout))
        }
        registerVersions(on: authenticated)
        registerScripts(on: authenticated)
        authenticated.post("agents/:id/preview") { request, context in
            var body = try await JSONBody.decode(Agents.PreviewReplyRequest.self, from: request)
            body.agentId = try context.parameters.require("id")
            return try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.previewReply, body, metadata: context.callMetadata, timeout: previewTimeout))
        }
    }

    private func registerVersions(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("agents/:id/versions") { _, context in
            try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.listAgentVersions,
                    Agents.ListAgentVersionsRequest(agentId: try context.parameters.require("id")),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.get("agents/:id/versions/compare") { request, context in
            let from = try Self.version(request.uri.queryParameters.get("from"), name: "from", required: true)
            let to = try Self.version(request.uri.queryParameters.get("to"), name: "to", required: false)
            return try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.compareAgentVersions,
                    Agents.CompareAgentVersionsRequest(
                        agentId: try context.parameters.require("id"), fromVersion: from, toVersion: to),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.post("agents/:id/versions/:version/restore") { _, context in
            let version = try Self.version(context.parameters.get("version"), name: "version", required: true)
            return try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.restoreAgentVersion,
                    Agents.RestoreAgentVersionRequest(agentId: try context.parameters.require("id"), version: version),
                    metadata: context.callMetadata, timeout: timeout))
        }
    }

    private func registerScripts(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("agents/:id/scripts") { _, context in
            try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.listScripts,
                    Agents.ListScriptsRequest(agentId: try context.parameters.require("id")),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.post("agents/:id/scripts") { request, context in
            var body = try await JSONBody.decode(Agents.CreateScriptRequest.self, from: request)
            body.agentId = try context.parameters.require("id")
            return try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.createScript, body, metadata: context.callMetadata, timeout: timeout),
                status: .created)
        }
        authenticated.patch("agents/:id/scripts/:script_id") { request, context in
            var body = try await JSONBody.decode(Agents.UpdateScriptRequest.self, from: request)
            body.agentId = try context.parameters.require("id")
            body.scriptId = try context.parameters.require("script_id")
            return try EmbeddedJSON.response(
                try await agents.call(
                    Agents.Service.updateScript, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.delete("agents/:id/scripts/:script_id") { _, context in
            _ = try await agents.call(
                Agents.Service.deleteScript,
                Agents.DeleteScriptRequest(
                    agentId: try context.parameters.require("id"), scriptId: try context.parameters.require("script_id")
                ),
                metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
    }

    /// A version number from the path or query: a positive integer.
    static func version(_ text: String?, name: String, required: Bool) throws -> Int32 {
        guard let text, !text.isEmpty else {
            if required {
                throw APIError(status: .badRequest, code: "invalid_argument", message: "`\(name)` is required")
            }
            return 0
        }
        guard let value = Int32(text), value > 0 else {
            throw APIError(
                status: .badRequest, code: "invalid_argument", message: "`\(name)` must be a positive integer")
        }
        return value
    }
}
