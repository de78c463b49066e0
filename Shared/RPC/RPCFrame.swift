import Contracts
import NIOCore

/// One frame of the wire protocol (docs/rpc-protocol.md).
///
/// Layout: `u32 length` (big-endian, bytes after this field), `u8 type`, `u32 call id`
/// (big-endian), payload. Request and response payloads start with a `u32` header length,
/// then the protobuf header, then the protobuf message.
public struct RPCFrame: Sendable, Equatable {
    /// The frame types.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// Opens a call: `RequestHeader` and the request message.
        case request = 1
        /// Closes a call: `ResponseHeader` and, when OK, the response message.
        case response = 2
        /// The caller gave up on a call; the server cancels its handler. Empty payload.
        case cancel = 3
        /// Keep-alive probe, call id 0, 8 opaque bytes echoed by the pong.
        case ping = 4
        /// Answer to a ping, with the ping's payload.
        case pong = 5
        /// The server is draining: `GoAway` message, call id 0.
        case goAway = 6
    }

    /// Bytes before the payload after the length field: type and call id.
    public static let fixedHeaderSize = 5
    /// The length field's size.
    public static let lengthFieldSize = 4
    /// The default frame-size limit: 4 MiB.
    public static let defaultMaximumSize = 4 << 20

    /// The frame type.
    public var kind: Kind
    /// The call the frame belongs to; 0 for connection-level frames.
    public var callID: UInt32
    /// Everything after the call id.
    public var payload: ByteBuffer

    /// Creates a frame.
    public init(kind: Kind, callID: UInt32, payload: ByteBuffer) {
        self.kind = kind
        self.callID = callID
        self.payload = payload
    }
}

extension ByteBuffer {
    /// Appends a frame whose payload is `header` preceded by its length, then `message`.
    mutating func writeCallFrame(
        kind: RPCFrame.Kind, callID: UInt32, header: (inout ByteBuffer) -> Void,
        message: (inout ByteBuffer) -> Void
    ) {
        let start = writerIndex
        writeInteger(UInt32(0))
        writeInteger(kind.rawValue)
        writeInteger(callID)
        let headerLengthAt = writerIndex
        writeInteger(UInt32(0))
        header(&self)
        setInteger(UInt32(writerIndex - headerLengthAt - 4), at: headerLengthAt)
        message(&self)
        setInteger(UInt32(writerIndex - start - 4), at: start)
    }

    /// Appends a frame with a raw payload.
    mutating func writeFrame(kind: RPCFrame.Kind, callID: UInt32, payload: ByteBuffer?) {
        writeInteger(UInt32(RPCFrame.fixedHeaderSize + (payload?.readableBytes ?? 0)))
        writeInteger(kind.rawValue)
        writeInteger(callID)
        if let payload { writeImmutableBuffer(payload) }
    }

    /// Appends a serialised protobuf message.
    mutating func writeMessage<M: ProtoMessage>(_ message: M) {
        message.withSerializedBytes { _ = writeBytes($0) }
    }
}
