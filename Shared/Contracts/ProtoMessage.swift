/// A contract message: a plain Swift value that packs to and unpacks from protobuf bytes
/// through libprotobuf-c.
///
/// Every message of `Shared/Proto/*.proto` has a generated conformance. Callers never see the
/// protobuf-c C structs; the generated code converts the value to the C struct tree, packs it
/// with `protobuf_c_message_pack`, and frees the tree before returning.
public protocol ProtoMessage: Sendable, Codable, Equatable {
    /// The fully-qualified protobuf name, e.g. `smarterchat.common.HealthResponse`.
    static var protoName: String { get }

    /// A message with every field at its proto3 default.
    init()

    /// Unpacks a message from its protobuf encoding.
    ///
    /// Unknown fields (from a newer peer) are skipped. Throws ``ProtoDecodingError`` when the
    /// bytes are not a valid encoding of this message.
    init(serializedBytes bytes: UnsafeRawBufferPointer) throws

    /// Packs the message and hands its protobuf encoding to `body`.
    ///
    /// The buffer is valid only for the duration of the call.
    func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension ProtoMessage {
    /// Unpacks a message from a byte array.
    public init(serializedBytes bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try Self(serializedBytes: $0) }
    }

    /// The protobuf encoding of the message as a new array.
    public func serializedBytes() -> [UInt8] {
        withSerializedBytes { Array($0) }
    }
}

/// The bytes given to ``ProtoMessage/init(serializedBytes:)`` are not a valid encoding.
public struct ProtoDecodingError: Error, Hashable, CustomStringConvertible {
    /// The message type that failed to unpack.
    public var messageName: String

    public init(messageName: String) {
        self.messageName = messageName
    }

    public var description: String { "invalid protobuf encoding for \(messageName)" }
}
