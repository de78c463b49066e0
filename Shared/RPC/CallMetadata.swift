/// Who a call is made for, as authenticated by the gateway (`smarterchat.rpc.Principal`).
public struct Principal: Sendable, Hashable, Codable {
    /// The tenant every query of the call is scoped to; empty for platform-level calls.
    public var organizationID: String
    /// The acting user; empty for a service acting on its own or an API key.
    public var userID: String
    /// `super_admin`, `admin`, `manager`, `consultant`; empty for a service acting on its own.
    public var role: String
    /// Set when the caller authenticated with an API key.
    public var apiKeyID: String
    /// The API key's scopes, e.g. `leads:write`.
    public var scopes: [String]

    /// Creates a principal; every field defaults to empty.
    public init(
        organizationID: String = "", userID: String = "", role: String = "", apiKeyID: String = "",
        scopes: [String] = []
    ) {
        self.organizationID = organizationID
        self.userID = userID
        self.role = role
        self.apiKeyID = apiKeyID
        self.scopes = scopes
    }

    /// Whether every field is empty (the principal is then left off the wire).
    public var isEmpty: Bool {
        organizationID.isEmpty && userID.isEmpty && role.isEmpty && apiKeyID.isEmpty && scopes.isEmpty
    }
}

/// The metadata every call carries: request id, calling service and principal.
public struct CallMetadata: Sendable, Hashable {
    /// Correlates log lines across services; the gateway sets it per HTTP request.
    public var requestID: String
    /// The calling service, e.g. `gateway`.
    public var caller: String
    /// Who the call is made for.
    public var principal: Principal

    /// Creates metadata; every field defaults to empty.
    public init(requestID: String = "", caller: String = "", principal: Principal = Principal()) {
        self.requestID = requestID
        self.caller = caller
        self.principal = principal
    }
}
