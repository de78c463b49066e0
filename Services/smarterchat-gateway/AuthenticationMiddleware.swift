import Contracts
import HTTPTypes
import Hummingbird
import Logging
import RPC

/// Requires `Authorization: Bearer <token>` (or an API key in `X-API-Key`) and puts the token's principal (organization,
/// user, role) and session on the context, so every service call made for the request
/// carries them. A missing, malformed or invalid token answers 401 JSON with
/// `WWW-Authenticate: Bearer`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let validator: TokenValidator

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let token = Self.credential(request) else {
            throw Self.unauthenticated("missing or malformed bearer token")
        }
        let validated: TokenValidator.Validated
        do {
            validated = try await validator.validate(token, metadata: context.callMetadata)
        } catch let error as RPCError where error.code == .unauthenticated {
            throw Self.unauthenticated("invalid or expired token")
        }
        var context = context
        context.principal = validated.principal
        context.sessionID = validated.sessionID
        context.logger[metadataKey: "user.id"] = "\(validated.principal.userId)"
        if !validated.principal.apiKeyId.isEmpty {
            context.logger[metadataKey: "api_key.id"] = "\(validated.principal.apiKeyId)"
        }
        return try await next(request, context)
    }

    /// The request's bearer token, else its `X-API-Key`; nil when neither is well formed.
    static func credential(_ request: Request) -> String? {
        bearerToken(request.headers[.authorization]) ?? apiKey(request.headers[apiKeyHeader])
    }

    /// The header an integration may send its API key in instead of `Authorization: Bearer`.
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    /// An `X-API-Key` header's key: only `sck_` keys of sensible length.
    static func apiKey(_ header: String?) -> String? {
        guard let header, header.hasPrefix("sck_"), header.utf8.count <= 256 else { return nil }
        return header
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        // Scheme, one or more spaces, the token; nothing around them but spaces. Read in
        // place: this runs on every authenticated request.
        let bytes = header.utf8
        var index = bytes.startIndex
        while index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
        for expected in "bearer".utf8 {
            guard index != bytes.endIndex, bytes[index] | 0x20 == expected else { return nil }
            index = bytes.index(after: index)
        }
        guard index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") else { return nil }
        while index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
        let start = index
        while index != bytes.endIndex, bytes[index] != UInt8(ascii: " ") { index = bytes.index(after: index) }
        let end = index
        while index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
        guard index == bytes.endIndex, start != end, bytes.distance(from: start, to: end) <= 256 else { return nil }
        return String(header[start..<end])
    }

    static func unauthenticated(_ message: String) -> APIError {
        var error = APIError(status: .unauthorized, code: "unauthenticated", message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}
