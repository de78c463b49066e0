import Contracts
import HTTPTypes
import Hummingbird
import RPC
import ServiceKit

/// The identity routes of the REST API (`/api/v1`), documented in docs/openapi.yaml.
///
/// Public: `POST /auth/signup` (201), `POST /auth/login`, `POST /auth/refresh`,
/// `POST /auth/accept-invitation`, `POST /auth/verify-email`.
/// With a bearer token: `POST /auth/logout` (204), `GET /me`, `PATCH /me`, `POST /me/password`,
/// `POST /me/email-verification` (202),
/// `POST /me/2fa/setup`, `POST /me/2fa/enable` (204), `POST /me/2fa/disable` (204),
/// `GET /sessions`, `DELETE /sessions/{id}` (204), `GET /users`, `POST /users` (201),
/// `PATCH /users/{id}`, `DELETE /users/{id}` (204); for super_admins with 2FA on,
/// `GET /platform/organizations` and `PATCH /platform/organizations/{id}`.
struct AuthRoutes: Sendable {
    let identity: any RPCCaller
    let validator: TokenValidator
    /// `GET /me`'s JSON, rendered again only when identity's answer changes.
    let renderedMe = RenderedAnswers()
    /// How long a call to identity may take (a login runs scrypt).
    let timeout: Duration = .seconds(10)

    /// Registers the routes; answers the authenticated `/api/v1` group for other areas' routes.
    @discardableResult
    func register(on router: Router<GatewayRequestContext>) -> RouterGroup<GatewayRequestContext> {
        let api = router.group("api/v1")
        api.post("auth/signup") { request, context in try await signUp(request, context) }
        api.post("auth/login") { request, context in try await logIn(request, context) }
        api.post("auth/refresh") { request, context in try await refresh(request, context) }
        api.post("auth/accept-invitation") { request, context in
            var body = try await JSONBody.decode(Identity.AcceptInvitationRequest.self, from: request)
            body.client = client(request, context)
            return try JSONBody.response(
                try await identity.call(
                    Identity.Service.acceptInvitation, body, metadata: context.callMetadata, timeout: timeout))
        }
        api.post("auth/verify-email") { request, context in
            let body = try await JSONBody.decode(Identity.VerifyEmailRequest.self, from: request)
            return try JSONBody.response(
                try await identity.call(
                    Identity.Service.verifyEmail, body, metadata: context.callMetadata, timeout: timeout))
        }
        let authenticated = api.group().add(middleware: AuthenticationMiddleware(validator: validator))
        authenticated.post("me/email-verification") { _, context in
            try JSONBody.response(
                try await identity.call(
                    Identity.Service.requestEmailVerification, Identity.RequestEmailVerificationRequest(),
                    metadata: context.callMetadata, timeout: timeout),
                status: .accepted)
        }
        OrganizationRoutes(identity: identity).register(on: authenticated)
        authenticated.post("auth/logout") { request, context in try await logOut(request, context) }
        authenticated.get("me") { _, context in
            let answer = try await identity.callForBytes(
                Identity.Service.getMe, Identity.GetMeRequest(), metadata: context.callMetadata, timeout: timeout)
            let body = try renderedMe.body(for: context.principal.userId, answer: answer) { answer in
                let me: Identity.GetMeResponse
                do {
                    me = try answer.withUnsafeReadableBytes { try Identity.GetMeResponse(serializedBytes: $0) }
                } catch {
                    throw RPCError(.internalError, "response is not a valid \(Identity.GetMeResponse.protoName)")
                }
                return Self.meBody(me)
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: body))
        }
        authenticated.get("sessions") { _, context in
            try JSONBody.response(
                try await identity.call(
                    Identity.Service.listSessions, Identity.ListSessionsRequest(currentSessionId: context.sessionID),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.patch("me") { request, context in
            // `preferences` must be an object when present (null too is refused: to remove a
            // preference, set that member to null inside it).
            let body = try await EmbeddedJSON.decode(
                Identity.UpdateMeRequest.self, from: request, objects: ["preferences"], nullIsAbsent: false)
            return try EmbeddedJSON.response(
                try await identity.call(
                    Identity.Service.updateMe, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.post("me/password") { request, context in
            var body = try await JSONBody.decode(Identity.ChangePasswordRequest.self, from: request)
            body.currentSessionId = context.sessionID
            body.client = client(request, context)
            return try JSONBody.response(
                try await identity.call(
                    Identity.Service.changePassword, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.get("users") { _, context in
            try JSONBody.response(
                try await identity.call(
                    Identity.Service.listUsers, Identity.ListUsersRequest(), metadata: context.callMetadata,
                    timeout: timeout))
        }
        authenticated.post("me/2fa/setup") { _, context in
            try JSONBody.response(
                try await identity.call(
                    Identity.Service.setUpTwoFactor, Identity.SetUpTwoFactorRequest(), metadata: context.callMetadata,
                    timeout: timeout))
        }
        authenticated.post("me/2fa/enable") { request, context in
            let body = try await JSONBody.decode(Identity.EnableTwoFactorRequest.self, from: request)
            _ = try await identity.call(
                Identity.Service.enableTwoFactor, body, metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
        authenticated.post("me/2fa/disable") { request, context in
            let body = try await JSONBody.decode(Identity.DisableTwoFactorRequest.self, from: request)
            _ = try await identity.call(
                Identity.Service.disableTwoFactor, body, metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
        authenticated.post("users") { request, context in try await inviteUser(request, context) }
        authenticated.patch("users/:id") { request, context in
            var body = try await JSONBody.decode(Identity.UpdateUserRequest.self, from: request)
            body.userId = try context.parameters.require("id")
            return try JSONBody.response(
                try await identity.call(
                    Identity.Service.updateUser, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.delete("users/:id") { _, context in
            _ = try await identity.call(
                Identity.Service.deleteUser, Identity.DeleteUserRequest(userId: try context.parameters.require("id")),
                metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
        authenticated.get("platform/organizations") { _, context in
            try JSONBody.response(
                try await identity.call(
                    Identity.Service.listOrganizations, Identity.ListOrganizationsRequest(),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.patch("platform/organizations/:id") { request, context in
            var body = try await JSONBody.decode(Identity.UpdateOrganizationRequest.self, from: request)
            body.organizationId = try context.parameters.require("id")
            return try JSONBody.response(
                try await identity.call(
                    Identity.Service.updateOrganization, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.delete("sessions/:id") { _, context in
            let id = try context.parameters.require("id")
            _ = try await identity.call(
                Identity.Service.revokeSession, Identity.RevokeSessionRequest(sessionId: id),
                metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
        return authenticated
    }

    /// `GET /me`: `{"organization": …, "preferences": {…}, "user": …}`. Written by hand rather
    /// than through ``EmbeddedJSON`` because this is the most frequent authenticated read: the
    /// messages write their own bytes and the preferences (jsonb output from identity, so valid
    /// JSON) are copied in as they are.
    /// The JSON of `GET /me`.
    static func meBody(_ me: Identity.GetMeResponse) -> ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        bytes.append(contentsOf: #"{"organization":"#.utf8)
        bytes.append(contentsOf: me.organization?.jsonBytes ?? Array("null".utf8))
        bytes.append(contentsOf: #","preferences":"#.utf8)
        bytes.append(contentsOf: me.preferencesJson.isEmpty ? Array("{}".utf8) : Array(me.preferencesJson.utf8))
        bytes.append(contentsOf: #","user":"#.utf8)
        bytes.append(contentsOf: me.user?.jsonBytes ?? Array("null".utf8))
        bytes.append(UInt8(ascii: "}"))
        return ByteBuffer(bytes: bytes)
    }

    /// Where the request came from, as identity records it on sessions and audit events.
    func client(_ request: Request, _ context: GatewayRequestContext) -> Identity.ClientInfo {
        Identity.ClientInfo(
            ipAddress: context.remoteAddress, userAgent: String((request.headers[.userAgent] ?? "").prefix(500)))
    }

    func signUp(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var body = try await JSONBody.decode(Identity.SignUpRequest.self, from: request)
        body.client = client(request, context)
        let response = try await identity.call(
            Identity.Service.signUp, body, metadata: context.callMetadata, timeout: timeout)
        return try JSONBody.response(response, status: .created)
    }

    /// 200 with tokens; 401 for wrong credentials (`two_factor_required` when only the TOTP
    /// code is missing); 429 with `Retry-After` when locked out.
    func logIn(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var body = try await JSONBody.decode(Identity.LogInRequest.self, from: request)
        body.client = client(request, context)
        let response = try await identity.call(
            Identity.Service.logIn, body, metadata: context.callMetadata, timeout: timeout)
        if response.twoFactorRequired {
            throw APIError(
                status: .unauthorized, code: "two_factor_required", message: "a two-factor code (totp_code) is required"
            )
        }
        if response.retryAfterSeconds > 0 {
            var error = APIError(
                status: .tooManyRequests, code: "too_many_attempts",
                message: "too many failed logins; try again later")
            error.headers[.retryAfter] = "\(response.retryAfterSeconds)"
            throw error
        }
        return try JSONBody.response(LogInSuccess(tokens: response.tokens, user: response.user))
    }

    /// A successful login as the REST API shows it: the session's tokens and the user (the
    /// lockout and 2FA fields of the RPC answer are errors over HTTP, never 200 members).
    struct LogInSuccess: Encodable {
        var tokens: Identity.TokenPair?
        var user: Identity.User?
    }

    func refresh(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var body = try await JSONBody.decode(Identity.RefreshRequest.self, from: request)
        body.client = client(request, context)
        return try JSONBody.response(
            try await identity.call(Identity.Service.refresh, body, metadata: context.callMetadata, timeout: timeout))
    }

    /// 201 with the user and their invitation token; a full plan answers 403
    /// `plan_limit_exceeded` naming the limit.
    func inviteUser(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var body = try await JSONBody.decode(Identity.InviteUserRequest.self, from: request)
        body.client = client(request, context)
        do {
            let response = try await identity.call(
                Identity.Service.inviteUser, body, metadata: context.callMetadata, timeout: timeout)
            return try JSONBody.response(response, status: .created)
        } catch let error as RPCError where error.code == .resourceExhausted {
            // On this route RESOURCE_EXHAUSTED only ever means the plan's max_users.
            throw APIError(status: .forbidden, code: "plan_limit_exceeded", message: error.message)
        }
    }

    /// Revokes the calling token's session (every token of it) and forgets it here at once.
    func logOut(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        _ = try await identity.call(
            Identity.Service.revokeSession, Identity.RevokeSessionRequest(sessionId: context.sessionID),
            metadata: context.callMetadata, timeout: timeout)
        if let token = AuthenticationMiddleware.bearerToken(request.headers[.authorization]) {
            validator.forget(token)
        }
        return Response(status: .noContent)
    }
}

extension ServiceClients {
    /// The identity service's client.
    var identity: RPCClient {
        all.first { $0.service == .identity }!.client
    }
}
