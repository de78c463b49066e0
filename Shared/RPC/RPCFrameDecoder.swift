import NIOCore

/// Why a connection's byte stream is not a valid frame sequence; the connection is closed.
public struct RPCFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Code: String, Sendable, Hashable {
        /// A frame's length is over the limit.
        case oversized
        /// A frame is structurally invalid (length, type or embedded header).
        case malformed
        /// The peer closed the connection in the middle of a frame.
        case truncated
    }

    /// What was wrong.
    public var code: Code
    /// A description safe to log (no payload bytes).
    public var message: String

    /// Creates a frame error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue) frame: \(message)" }
}

/// Splits a byte stream into ``RPCFrame``s, refusing frames over the size limit before
/// buffering them.
public struct RPCFrameDecoder: NIOSingleStepByteToMessageDecoder {
    /// Decoded frames.
    public typealias InboundOut = RPCFrame

    /// The largest frame accepted, counted from after the length field.
    public let maximumFrameSize: Int

    /// Creates a decoder with a frame-size limit (default 4 MiB).
    public init(maximumFrameSize: Int = RPCFrame.defaultMaximumSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Decodes the next frame, or returns nil when more bytes are needed.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RPCFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= RPCFrame.fixedHeaderSize else {
            throw RPCFrameError(.malformed, "length \(length) is shorter than the frame header")
        }
        guard length <= maximumFrameSize else {
            throw RPCFrameError(.oversized, "length \(length) is over the limit of \(maximumFrameSize) bytes")
        }
        guard buffer.readableBytes >= RPCFrame.lengthFieldSize + Int(length) else { return nil }
        let typeByte = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self)!
        guard let kind = RPCFrame.Kind(rawValue: typeByte) else {
            throw RPCFrameError(.malformed, "unknown frame type \(typeByte)")
        }
        buffer.moveReaderIndex(forwardBy: 5)
        let callID = buffer.readInteger(as: UInt32.self)!
        let payload = buffer.readSlice(length: Int(length) - RPCFrame.fixedHeaderSize)!
        return RPCFrame(kind: kind, callID: callID, payload: payload)
    }

    /// Decodes what is left when the peer closed; a partial frame is an error.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RPCFrame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        if buffer.readableBytes > 0 {
            throw RPCFrameError(.truncated, "connection closed \(buffer.readableBytes) bytes into a frame")
        }
        return nil
    }

    /// Decodes every frame in `bytes` and parses each call frame's envelope header, the
    /// whole path an untrusted peer reaches. Used by the fuzz target.
    public static func parseAll(_ bytes: ByteBuffer, maximumFrameSize: Int = RPCFrame.defaultMaximumSize) throws -> Int
    {
        var decoder = RPCFrameDecoder(maximumFrameSize: maximumFrameSize)
        var buffer = bytes
        var count = 0
        while let frame = try decoder.decode(buffer: &buffer) {
            count += 1
            switch frame.kind {
            case .request: _ = try WireRequestHeader.decode(frame.callParts().header)
            case .response: _ = try WireResponseHeader.decode(frame.callParts().header)
            case .goAway: _ = try WireGoAway.decode(frame.payload)
            case .cancel, .ping, .pong: break
            }
        }
        _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
        return count
    }
}

extension RPCFrame {
    /// The envelope header and message of a request or response frame.
    func callParts() throws -> (header: ByteBuffer, message: ByteBuffer) {
        var payload = self.payload
        guard let headerLength = payload.readInteger(as: UInt32.self) else {
            throw RPCFrameError(.malformed, "call frame without a header length")
        }
        guard headerLength <= payload.readableBytes, let header = payload.readSlice(length: Int(headerLength)) else {
            throw RPCFrameError(.malformed, "header length \(headerLength) runs past the frame")
        }
        return (header, payload)
    }
}
