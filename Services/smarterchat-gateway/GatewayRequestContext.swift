import Contracts
import HTTPTypes
import Hummingbird
import Logging
import RPC

/// The gateway's per-request context: Hummingbird's core storage plus the request id that
/// follows the request into every service it calls.
struct GatewayRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's `X-Request-Id` when it sent a sensible one, else Hummingbird's id.
    var requestID: String
    /// The client's IP address as the socket saw it (empty when unknown).
    var remoteAddress: String
    /// Who the request is made for, set by ``AuthenticationMiddleware`` (empty when public).
    var principal: Principal
    /// The session of the bearer token, set by ``AuthenticationMiddleware``.
    var sessionID: String

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? ""
        self.principal = Principal()
        self.sessionID = ""
    }

    /// Metadata for an RPC call made on behalf of this request: its id and its principal.
    var callMetadata: CallMetadata {
        CallMetadata(requestID: requestID, caller: "gateway", principal: principal)
    }
}

/// Gives every request an id: the client's `X-Request-Id` (up to 128 visible ASCII
/// characters) or a new one; puts it on the logger (`request.id`), in the RPC metadata of
/// every service call, and on the response.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let offered = request.headers[Self.header].flatMap { Self.isAcceptable($0) ? $0 : nil }
        context.requestID = offered ?? context.id
        context.logger[metadataKey: "request.id"] = "\(context.requestID)"
        var response = try await next(request, context)
        response.headers[Self.header] = context.requestID
        return response
    }

    static func isAcceptable(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }
}

/// Headers every response carries, whatever route or error made it: `X-Content-Type-Options:
/// nosniff` (a browser takes a JSON, text or CSV body for what its `Content-Type` says, never
/// for HTML or script it guessed, which matters for bodies that echo input, such as a
/// verification challenge) and `X-Frame-Options: DENY` (nothing here is meant to be framed).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        return response
    }
}
