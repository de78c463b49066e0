import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC

/// The inbox (`/api/v1/conversations`, authenticated), documented in docs/openapi.yaml:
/// `GET /conversations` (filters `status`, `mode`, `assigned_to`, `channel_id`, `agent_id`,
/// `tag`, `priority`, `q`; `cursor`, `limit`), `GET /conversations/{id}`, `PATCH
/// /conversations/{id}` (priority, tags), `GET /conversations/{id}/messages` (`cursor`,
/// `limit`), `POST /conversations/{id}/messages` (201), `POST
/// /conversations/{id}/messages/{message_id}/retry`, `GET /conversations/{id}/timeline`
/// (`after`, `limit`), and `POST /conversations/{id}/` `read`, `takeover`, `handback`,
/// `transfer`, `close`, `reopen`.
struct ConversationRoutes: Sendable {
    let conversations: any RPCCaller
    let timeout: Duration = .seconds(10)

    func register(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("conversations") { request, context in
            let query = request.uri.queryParameters
            var body = Conversations.ListConversationsRequest()
            body.status = query.get("status") ?? ""
            body.mode = query.get("mode") ?? ""
            body.assignedTo = query.get("assigned_to") ?? ""
            body.channelId = query.get("channel_id") ?? ""
            body.agentId = query.get("agent_id") ?? ""
            body.tag = query.get("tag") ?? ""
            body.priority = query.get("priority") ?? ""
            body.q = query.get("q") ?? ""
            body.cursor = query.get("cursor") ?? ""
            body.limit = try Self.integer(query.get("limit"), name: "limit")
            return try await respond(Conversations.Service.listConversations, body, context)
        }
        authenticated.get("conversations/:id") { _, context in
            try await respond(
                Conversations.Service.getConversation, Self.conversation(try context.parameters.require("id")), context)
        }
        authenticated.patch("conversations/:id") { request, context in
            let patch = try await JSONBody.decode(ConversationPatch.self, from: request)
            var body = Conversations.UpdateConversationRequest(conversationId: try context.parameters.require("id"))
            body.priority = patch.priority
            body.mode = patch.mode
            body.tags = patch.tags ?? []
            body.setTags = patch.tags != nil
            return try await respond(Conversations.Service.updateConversation, body, context)
        }
        authenticated.get("conversations/:id/messages") { request, context in
            let query = request.uri.queryParameters
            let body = Conversations.ListMessagesRequest(
                conversationId: try context.parameters.require("id"), cursor: query.get("cursor") ?? "",
                limit: try Self.integer(query.get("limit"), name: "limit"))
            return try await respond(Conversations.Service.listMessages, body, context)
        }
        authenticated.post("conversations/:id/messages") { request, context in
            var body = try await JSONBody.decode(Conversations.SendOperatorMessageRequest.self, from: request)
            body.conversationId = try context.parameters.require("id")
            return try await respond(Conversations.Service.sendOperatorMessage, body, context, status: .created)
        }
        authenticated.post("conversations/:id/messages/:message_id/retry") { _, context in
            let body = Conversations.RetryMessageRequest(
                conversationId: try context.parameters.require("id"),
                messageId: try context.parameters.require("message_id"))
            return try await respond(Conversations.Service.retryMessage, body, context)
        }
        authenticated.get("conversations/:id/timeline") { request, context in
            let query = request.uri.queryParameters
            let after = query.get("after") ?? "0"
            guard let afterSeq = Int64(after), afterSeq >= 0 else {
                throw APIError(status: .badRequest, code: "invalid_argument", message: "after must be a whole number")
            }
            let body = Conversations.ListConversationTimelineRequest(
                conversationId: try context.parameters.require("id"), afterSeq: afterSeq,
                limit: try Self.integer(query.get("limit"), name: "limit"))
            return try await respond(Conversations.Service.listConversationTimeline, body, context)
        }
        authenticated.post("conversations/:id/transfer") { request, context in
            var body = try await JSONBody.decode(Conversations.TransferConversationRequest.self, from: request)
            body.conversationId = try context.parameters.require("id")
            return try await respond(Conversations.Service.transferConversation, body, context)
        }
        let actions: [(String, MethodDescriptor<Conversations.ConversationRequest, Conversations.InboxConversation>)] =
            [
                ("read", Conversations.Service.markConversationRead),
                ("takeover", Conversations.Service.takeOverConversation),
                ("handback", Conversations.Service.handBackConversation),
                ("close", Conversations.Service.closeConversation),
                ("reopen", Conversations.Service.reopenConversation),
            ]
        for (path, method) in actions {
            authenticated.post("conversations/:id/\(path)") { _, context in
                try await respond(method, Self.conversation(try context.parameters.require("id")), context)
            }
        }
    }

    private func respond<Input, Output: Encodable>(
        _ method: MethodDescriptor<Input, Output>, _ body: Input, _ context: GatewayRequestContext,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        try JSONBody.response(
            try await conversations.call(method, body, metadata: context.callMetadata, timeout: timeout),
            status: status)
    }

    private static func conversation(_ id: String) -> Conversations.ConversationRequest {
        Conversations.ConversationRequest(conversationId: id)
    }

    /// A query parameter that must be a whole number when present (0 when absent).
    static func integer(_ text: String?, name: String) throws -> Int32 {
        guard let text, !text.isEmpty else { return 0 }
        guard let value = Int32(text) else {
            throw APIError(status: .badRequest, code: "invalid_argument", message: "\(name) must be a whole number")
        }
        return value
    }
}

/// The body of `PATCH /conversations/{id}`: each member optional.
struct ConversationPatch: Decodable, Sendable {
    var priority: String?
    var mode: String?
    var tags: [String]?
}
