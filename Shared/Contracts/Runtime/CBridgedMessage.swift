import CProtobufC

/// A generated message that knows its protobuf-c C struct: how to read one and how to fill
/// one in a ``ProtoArena``.
///
/// Generated code conforms every message; nothing else should.
package protocol CBridgedMessage: ProtoMessage {
    /// The protoc-c struct, e.g. `Smarterchat__Common__HealthResponse`.
    associatedtype CMessage

    /// The message's libprotobuf-c descriptor.
    static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }

    /// Copies a C message (owned by the caller) into a Swift value.
    init(cMessage: UnsafePointer<CMessage>)

    /// Initialises `c` with this value; every pointer in it points into `arena`.
    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout ProtoArena)
}

/// Orders map keys so a map packs to the same bytes every time.
package func protoKeyPrecedes<K: Comparable>(_ a: K, _ b: K) -> Bool { a < b }

/// Orders `bool` map keys: `false` first.
package func protoKeyPrecedes(_ a: Bool, _ b: Bool) -> Bool { !a && b }

/// The coding key of a message with no fields.
package struct ProtoEmptyCodingKey: CodingKey {
    package var stringValue: String { "" }
    package var intValue: Int? { nil }
    package init?(stringValue: String) { nil }
    package init?(intValue: Int) { nil }
}
