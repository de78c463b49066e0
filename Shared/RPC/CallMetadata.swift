import Contracts

/// Who a call is made for, as authenticated by the gateway: the generated
/// `smarterchat.rpc.Principal` (organization, user, role, API key id, scopes, grants).
public typealias Principal = Envelope.Principal

extension Envelope.Principal {
    /// Whether every field is empty (the principal is then left off the wire).
    public var isEmpty: Bool {
        organizationId.isEmpty && userId.isEmpty && role.isEmpty && apiKeyId.isEmpty && scopes.isEmpty
            && grants.isEmpty
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
