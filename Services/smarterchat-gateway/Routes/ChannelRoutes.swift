import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC
import ServiceKit

/// Channels (`/api/v1/channels`, authenticated), documented in docs/openapi.yaml:
/// `GET /channels` (`?type=`), `POST /channels` (201), `GET /channels/{id}`,
/// `PATCH /channels/{id}`, `DELETE /channels/{id}` (204). Secrets go in `config` and never
/// come back: responses show `config.access_token_set` and so on.
struct ChannelRoutes: Sendable {
    let conversations: any RPCCaller
    let timeout: Duration = .seconds(10)

    func register(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("channels") { request, context in
            try JSONBody.response(
                try await conversations.call(
                    Conversations.Service.listChannels,
                    Conversations.ListChannelsRequest(type: request.uri.queryParameters.get("type") ?? ""),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.post("channels") { request, context in
            let body = try await JSONBody.decode(Conversations.CreateChannelRequest.self, from: request)
            return try JSONBody.response(
                try await conversations.call(
                    Conversations.Service.createChannel, body, metadata: context.callMetadata, timeout: timeout),
                status: .created)
        }
        authenticated.get("channels/:id") { _, context in
            try JSONBody.response(
                try await conversations.call(
                    Conversations.Service.getChannel,
                    Conversations.GetChannelRequest(channelId: try context.parameters.require("id")),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.patch("channels/:id") { request, context in
            var body = try await JSONBody.decode(Conversations.UpdateChannelRequest.self, from: request)
            body.channelId = try context.parameters.require("id")
            return try JSONBody.response(
                try await conversations.call(
                    Conversations.Service.updateChannel, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.delete("channels/:id") { _, context in
            _ = try await conversations.call(
                Conversations.Service.deleteChannel,
                Conversations.DeleteChannelRequest(channelId: try context.parameters.require("id")),
                metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
    }
}

extension ServiceClients {
    /// The conversations service's client.
    var conversations: RPCClient {
        all.first { $0.service == .conversations }!.client
    }
}
