import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC

/// API keys and organization settings (`/api/v1`, authenticated), documented in
/// docs/openapi.yaml: `GET /api-keys`, `POST /api-keys` (201, the key shown once),
/// `DELETE /api-keys/{id}` (204), `GET /organization/settings`, `PATCH /organization/settings`.
struct OrganizationRoutes: Sendable {
    let identity: any RPCCaller
    let timeout: Duration = .seconds(10)

    func register(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("api-keys") { _, context in
            try JSONBody.response(
                try await identity.call(
                    Identity.Service.listApiKeys, Identity.ListApiKeysRequest(), metadata: context.callMetadata,
                    timeout: timeout))
        }
        authenticated.post("api-keys") { request, context in
            let body = try await JSONBody.decode(Identity.CreateApiKeyRequest.self, from: request)
            return try JSONBody.response(
                try await identity.call(
                    Identity.Service.createApiKey, body, metadata: context.callMetadata, timeout: timeout),
                status: .created)
        }
        authenticated.delete("api-keys/:id") { _, context in
            _ = try await identity.call(
                Identity.Service.revokeApiKey,
                Identity.RevokeApiKeyRequest(apiKeyId: try context.parameters.require("id")),
                metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
        authenticated.get("organization/settings") { _, context in
            Self.settingsResponse(
                try await identity.call(
                    Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.patch("organization/settings") { request, context in
            let body = try await Self.settingsRequest(request)
            return Self.settingsResponse(
                try await identity.call(
                    Identity.Service.updateOrganizationSettings, body, metadata: context.callMetadata,
                    timeout: timeout))
        }
    }

    /// `{"settings": {...}, "branding": {...}}`, either member optional; each must be an object
    /// (identity checks the size).
    static func settingsRequest(_ request: Request) async throws -> Identity.UpdateOrganizationSettingsRequest {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: JSONBody.maximumSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "request body is too large")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        else {
            throw APIError(status: .badRequest, code: "invalid_json", message: "request body must be a JSON object")
        }
        var body = Identity.UpdateOrganizationSettingsRequest()
        for member in ["settings", "branding"] {
            guard let value = object[member] else { continue }
            guard let members = value as? [String: Any],
                let data = try? JSONSerialization.data(withJSONObject: members, options: [.sortedKeys])
            else { throw APIError(status: .badRequest, code: "invalid_json", message: "wrong type for `\(member)`") }
            let text = String(decoding: data, as: UTF8.self)
            if member == "settings" { body.settings = text } else { body.branding = text }
        }
        return body
    }

    /// The settings as one JSON object; identity's texts are jsonb output, so valid JSON.
    static func settingsResponse(_ settings: Identity.OrganizationSettings) -> Response {
        let text = "{\"branding\":\(settings.branding),\"settings\":\(settings.settings)}"
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
