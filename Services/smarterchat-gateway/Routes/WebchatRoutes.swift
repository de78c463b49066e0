import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC

/// The public web chat API under `/webchat` (CORS open: the session token, not a cookie,
/// authenticates; conversations checks the channel's allowed origins when a session starts):
/// `GET /webchat/widget.js`, `POST /webchat/{public_id}/sessions` (201, the token shown once),
/// `POST /webchat/{public_id}/messages` (201; `Authorization: Bearer <token>`),
/// `GET /webchat/{public_id}/events` (Server-Sent Events of the session's messages and
/// replies; the token may come as `?token=` since EventSource cannot set headers).
///
/// Public, so rate limited in this gateway process: session starts per client address
/// (2/s, bursts of 20) and requests per chat (100/s, bursts of 200); 429 with Retry-After.
struct WebchatRoutes: Sendable {
    let conversations: any RPCCaller
    let timeout: Duration = .seconds(10)
    let sessionStarts = CallbackRateLimiter(perSecond: 2, burst: 20)
    let chatRequests = CallbackRateLimiter(perSecond: 100, burst: 200)

    struct StartBody: Decodable {
        var visitorName: String?
        enum CodingKeys: String, CodingKey { case visitorName = "visitor_name" }
    }

    struct MessageBody: Decodable {
        var text: String?
        var clientMessageID: String?
        enum CodingKeys: String, CodingKey {
            case text
            case clientMessageID = "client_message_id"
        }
    }

    func register(on router: Router<GatewayRequestContext>) {
        let webchat = router.group("webchat").add(middleware: WebchatCORSMiddleware())
        for path in [":public_id/sessions", ":public_id/messages", ":public_id/events"] {
            webchat.on(RouterPath(path), method: .options) { _, _ in Response(status: .noContent) }
        }
        webchat.get("widget.js") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: WebchatWidget.script)))
        }
        webchat.post(":public_id/sessions") { request, context in
            try sessionStarts.admit(context.remoteAddress)
            try chatRequests.admit(try context.parameters.require("public_id"))
            let body = try await JSONBody.decode(StartBody.self, from: request)
            let started = try await conversations.call(
                Conversations.Service.startWebchatSession,
                Conversations.StartWebchatSessionRequest(
                    publicId: try context.parameters.require("public_id"), visitorName: body.visitorName ?? "",
                    origin: request.headers[.origin] ?? ""),
                metadata: context.callMetadata, timeout: timeout)
            return try JSONBody.response(started, status: .created)
        }
        webchat.post(":public_id/messages") { request, context in
            try chatRequests.admit(try context.parameters.require("public_id"))
            let body = try await JSONBody.decode(MessageBody.self, from: request)
            let posted = try await conversations.call(
                Conversations.Service.postWebchatMessage,
                Conversations.PostWebchatMessageRequest(
                    publicId: try context.parameters.require("public_id"), token: Self.token(request),
                    text: body.text ?? "", clientMessageId: body.clientMessageID ?? ""),
                metadata: context.callMetadata, timeout: timeout)
            return try JSONBody.response(posted, status: posted.duplicate ? .ok : .created)
        }
        webchat.get(":public_id/events") { request, context in
            let publicID = try context.parameters.require("public_id")
            try chatRequests.admit(publicID)
            let token = Self.token(request)
            let after = try ServerSentEvents.resumePoint(request)
            let metadata = context.callMetadata
            let conversations = self.conversations
            let first = try await conversations.call(
                Conversations.Service.waitWebchatEvents,
                Conversations.WaitWebchatEventsRequest(publicId: publicID, token: token, afterSeq: after, waitMs: 0),
                metadata: metadata, timeout: timeout)
            return ServerSentEvents.response(first: first, lifetime: .seconds(300), logger: context.logger) { last in
                try await conversations.call(
                    Conversations.Service.waitWebchatEvents,
                    Conversations.WaitWebchatEventsRequest(
                        publicId: publicID, token: token, afterSeq: last, waitMs: 25_000),
                    metadata: metadata, timeout: .seconds(35))
            }
        }
    }

    /// The session token: `Authorization: Bearer`, else `?token=`.
    static func token(_ request: Request) -> String {
        AuthenticationMiddleware.bearerToken(request.headers[.authorization])
            ?? request.uri.queryParameters.get("token") ?? ""
    }
}

/// CORS for the web chat API: any origin may call it (the channel's allowed origins are
/// checked when a session starts); preflights answer 204.
struct WebchatCORSMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let headers: HTTPFields = [
            .accessControlAllowOrigin: "*",
            .accessControlAllowMethods: "GET, POST, OPTIONS",
            .accessControlAllowHeaders: "authorization, content-type, last-event-id",
            .accessControlMaxAge: "600",
        ]
        if request.method == .options {
            return Response(status: .noContent, headers: headers)
        }
        var failure: APIError
        do {
            var response = try await next(request, context)
            for field in headers { response.headers[field.name] = field.value }
            return response
        } catch let error as APIError {
            failure = error
        } catch let error as RPCError {
            failure = APIError(error)
        }
        for field in headers { failure.headers[field.name] = field.value }
        throw failure
    }
}
