/// One method of a `.proto` service block, typed by its request and response messages.
///
/// Generated for every method, e.g. `Identity.Service.health`. The RPC layer uses
/// ``fullName`` (`package.Service/Method`) on the wire.
public struct MethodDescriptor<Input: ProtoMessage, Output: ProtoMessage>: Sendable, Hashable {
    /// The fully-qualified service name, e.g. `smarterchat.identity.Identity`.
    public let service: String
    /// The method's name as declared, e.g. `Health`.
    public let name: String
    /// Whether a call may be retried on another replica after a transport failure.
    ///
    /// Read from the method's name: `Health`, `Get…`, `List…`, `Find…`, `Count…` are idempotent.
    public let isIdempotent: Bool

    public init(service: String, name: String, isIdempotent: Bool) {
        self.service = service
        self.name = name
        self.isIdempotent = isIdempotent
    }

    /// `package.Service/Method`, the name a call carries on the wire.
    public var fullName: String { "\(service)/\(name)" }
}

/// A `.proto` service block: its name and the methods it declares.
///
/// Generated from the protobuf-c `ProtobufCServiceDescriptor`, so a server can refuse to
/// register a handler for a method the contract does not declare.
public struct ServiceDescriptor: Sendable, Hashable {
    /// The fully-qualified service name, e.g. `smarterchat.identity.Identity`.
    public let name: String
    /// The declared method names, e.g. `["Health"]`.
    public let methods: [String]

    public init(name: String, methods: [String]) {
        self.name = name
        self.methods = methods
    }

    /// Whether `fullName` (`package.Service/Method`) is a method of this service.
    public func declares(_ fullName: String) -> Bool {
        guard fullName.hasPrefix(name + "/") else { return false }
        return methods.contains(String(fullName.dropFirst(name.count + 1)))
    }
}
