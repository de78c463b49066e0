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
/// Public, so checked in this order before anything costs a service call: a public id that is
/// not of the `wc_…` shape answers 404 (an unknown chat) and a message or events request
/// without a `wcs_…` session token 401, before any budget is charged; then the rate limits of
/// this gateway process, 429 with Retry-After: session starts per client address (2/s, bursts
/// of 20), requests per client address (10/s, bursts of 40), then requests per chat (100/s,
/// bursts of 200). A request refused by an earlier budget is not charged to a later one, so one
/// client cannot use up a chat's budget for its other visitors.
struct WebchatRoutes: Sendable {
    let conversations: any RPCCaller
    let timeout: Duration = .seconds(10)
    let sessionStarts: CallbackRateLimiter
    let clientRequests: CallbackRateLimiter
    let chatRequests: CallbackRateLimiter

    /// The web chat of `conversations`' channels; `metrics` counts the budgets' refusals.
    init(conversations: any RPCCaller, metrics: HTTPMetrics? = nil) {
        self.conversations = conversations
        self.sessionStarts = CallbackRateLimiter(
            perSecond: 2, burst: 20, refusals: metrics?.rateLimited("webchat_session_start"))
        self.clientRequests = CallbackRateLimiter(
            perSecond: 10, burst: 40, refusals: metrics?.rateLimited("webchat_address"))
        self.chatRequests = CallbackRateLimiter(
            perSecond: 100, burst: 200, refusals: metrics?.rateLimited("webchat_chat"))
    }

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
            let publicID = try Self.publicID(context)
            try admit(publicID, context, sessionStart: true)
            let body = try await JSONBody.decode(StartBody.self, from: request)
            let started = try await conversations.call(
                Conversations.Service.startWebchatSession,
                Conversations.StartWebchatSessionRequest(
                    publicId: publicID, visitorName: body.visitorName ?? "",
                    origin: request.headers[.origin] ?? ""),
                metadata: context.callMetadata, timeout: timeout)
            return try JSONBody.response(started, status: .created)
        }
        webchat.post(":public_id/messages") { request, context in
            let publicID = try Self.publicID(context)
            let token = try Self.sessionToken(request)
            try admit(publicID, context)
            let body = try await JSONBody.decode(MessageBody.self, from: request)
            let posted = try await conversations.call(
                Conversations.Service.postWebchatMessage,
                Conversations.PostWebchatMessageRequest(
                    publicId: publicID, token: token,
                    text: body.text ?? "", clientMessageId: body.clientMessageID ?? ""),
                metadata: context.callMetadata, timeout: timeout)
            return try JSONBody.response(posted, status: posted.duplicate ? .ok : .created)
        }
        webchat.get(":public_id/events") { request, context in
            let publicID = try Self.publicID(context)
            let token = try Self.sessionToken(request)
            try admit(publicID, context)
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

    /// Charges the client address's budgets, then the chat's (429 when one is empty); a budget
    /// is charged only when the ones before it admitted the request.
    func admit(_ publicID: String, _ context: GatewayRequestContext, sessionStart: Bool = false) throws {
        try admit(publicID, address: context.remoteAddress, sessionStart: sessionStart)
    }

    func admit(_ publicID: String, address: String, sessionStart: Bool = false) throws {
        if sessionStart { try sessionStarts.admit(address) }
        try clientRequests.admit(address)
        try chatRequests.admit(publicID)
    }

    /// The path's public id when it has a public id's shape; anything else is an unknown chat.
    static func publicID(_ context: GatewayRequestContext) throws -> String {
        let publicID = try context.parameters.require("public_id")
        guard PublicChannelID.isWebchatPublicID(publicID) else { throw APIError(RPCError(.notFound, "chat not found")) }
        return publicID
    }

    /// The session token: `Authorization: Bearer`, else `?token=`. One that cannot be a session
    /// token (conversations gives out `wcs_…`, at most 100 characters) answers 401 at once.
    static func sessionToken(_ request: Request) throws -> String {
        let token =
            AuthenticationMiddleware.bearerToken(request.headers[.authorization])
            ?? request.uri.queryParameters.get("token") ?? ""
        guard token.hasPrefix("wcs_"), token.count <= 100 else {
            throw APIError(RPCError(.unauthenticated, "chat session missing or expired"))
        }
        return token
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
