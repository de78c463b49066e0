import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RPC

/// An error answered as JSON: `{"error": {"code": "not_found", "message": "..."}}`.
///
/// Every route's failure reaches the client in this shape, whatever threw it: an
/// ``RPCError`` from a service (mapped by ``APIError/status(for:)``, the one place that maps
/// RPC status to HTTP status), an `HTTPError` from the router, or anything else (500, with a
/// generic message so internals never leak).
struct APIError: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    /// A stable machine-readable code, e.g. `not_found`, `unavailable`.
    var code: String
    /// A message safe to show to the client.
    var message: String
    /// Extra headers, e.g. `Retry-After`.
    var headers: HTTPFields = [:]
    /// Extra JSON members beside code and message, e.g. the services that are down.
    var details: [String: [String]] = [:]

    init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The error a client sees for an RPC failure.
    init(_ error: RPCError) {
        self.init(status: Self.status(for: error.code), code: Self.code(for: error.code), message: error.message)
    }

    /// RPC status → HTTP status: the gateway's single mapping, after grpc-gateway's.
    static func status(for code: RPCError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidArgument, .outOfRange, .failedPrecondition: .badRequest
        case .unauthenticated: .unauthorized
        case .permissionDenied: .forbidden
        case .notFound: .notFound
        case .alreadyExists, .aborted: .conflict
        case .resourceExhausted: .tooManyRequests
        case .cancelled: .init(code: 499, reasonPhrase: "Client Closed Request")
        case .unimplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        case .deadlineExceeded: .gatewayTimeout
        case .unknown, .internalError, .dataLoss: .internalServerError
        }
    }

    /// `NOT_FOUND` → `not_found`.
    static func code(for code: RPCError.Code) -> String {
        code.description.lowercased()
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: Any] = ["code": code, "message": message]
        for (key, value) in details { body[key] = value }
        if let context = context as? GatewayRequestContext, !context.requestID.isEmpty {
            body["request_id"] = context.requestID
        }
        let data = try JSONSerialization.data(withJSONObject: ["error": body], options: [.sortedKeys])
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error thrown by a route into an ``APIError`` JSON response.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let failure: APIError
        do {
            return try await next(request, context)
        } catch let error as APIError {
            failure = error
        } catch let error as RPCError {
            if error.code == .internalError || error.code == .unknown {
                context.logger.error("service call failed", metadata: ["error": "\(error)"])
            }
            failure = APIError(error)
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            failure = APIError(
                status: error.status, code: code,
                message: error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error.type": "\(type(of: error))"])
            failure = APIError(status: .internalServerError, code: "internal", message: "internal error")
        }
        // Answered here rather than thrown, so outer middleware (the request id) still sees it.
        return try failure.response(from: request, context: context)
    }
}
