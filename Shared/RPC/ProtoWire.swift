import NIOCore

/// The few protobuf wire-format primitives the envelope needs, written by hand so the
/// per-call header costs no C allocations. Tests check the bytes against libprotobuf-c.
enum ProtoWire {
    static let varint: UInt32 = 0
    static let fixed64: UInt32 = 1
    static let lengthDelimited: UInt32 = 2
    static let fixed32: UInt32 = 5

    static func varintSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    static func stringFieldSize(_ string: String) -> Int {
        let count = string.utf8.count
        return count == 0 ? 0 : 1 + varintSize(UInt64(count)) + count
    }

    static func varintFieldSize(_ value: UInt64) -> Int {
        value == 0 ? 0 : 1 + varintSize(value)
    }
}

extension ByteBuffer {
    mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        writeInteger(UInt8(value))
    }

    mutating func writeTag(_ field: UInt32, _ wireType: UInt32) {
        writeVarint(UInt64(field << 3 | wireType))
    }

    /// Writes a proto3 string field, omitted when empty (as protobuf-c does).
    mutating func writeStringField(_ field: UInt32, _ string: String) {
        let count = string.utf8.count
        guard count > 0 else { return }
        writeTag(field, ProtoWire.lengthDelimited)
        writeVarint(UInt64(count))
        writeString(string)
    }

    /// Writes a proto3 varint field, omitted when zero.
    mutating func writeVarintField(_ field: UInt32, _ value: UInt64) {
        guard value != 0 else { return }
        writeTag(field, ProtoWire.varint)
        writeVarint(value)
    }
}

/// Reads protobuf fields from a byte buffer, skipping unknown ones.
struct ProtoReader {
    var buffer: ByteBuffer

    /// The malformed encoding the reader stopped at.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = buffer.readInteger(as: UInt8.self) else {
                throw Malformed(description: "truncated varint")
            }
            guard shift < 64 else { throw Malformed(description: "varint too long") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field's number and wire type, or nil at the end.
    mutating func nextField() throws -> (field: UInt32, wireType: UInt32)? {
        guard buffer.readableBytes > 0 else { return nil }
        let tag = try readVarint()
        let field = UInt32(truncatingIfNeeded: tag >> 3)
        guard field > 0, tag >> 3 <= UInt64(UInt32.max >> 3) else { throw Malformed(description: "bad field number") }
        return (field, UInt32(tag & 7))
    }

    mutating func readLengthDelimited() throws -> ByteBuffer {
        let length = try readVarint()
        guard length <= UInt64(buffer.readableBytes), let slice = buffer.readSlice(length: Int(length)) else {
            throw Malformed(description: "truncated length-delimited field")
        }
        return slice
    }

    mutating func readString(wireType: UInt32) throws -> String {
        guard wireType == ProtoWire.lengthDelimited else { throw Malformed(description: "string with wrong wire type") }
        var slice = try readLengthDelimited()
        return slice.readString(length: slice.readableBytes) ?? ""
    }

    mutating func readVarint(wireType: UInt32) throws -> UInt64 {
        guard wireType == ProtoWire.varint else { throw Malformed(description: "varint with wrong wire type") }
        return try readVarint()
    }

    mutating func skip(wireType: UInt32) throws {
        switch wireType {
        case ProtoWire.varint: _ = try readVarint()
        case ProtoWire.fixed64:
            guard buffer.readableBytes >= 8 else { throw Malformed(description: "truncated fixed64") }
            buffer.moveReaderIndex(forwardBy: 8)
        case ProtoWire.lengthDelimited: _ = try readLengthDelimited()
        case ProtoWire.fixed32:
            guard buffer.readableBytes >= 4 else { throw Malformed(description: "truncated fixed32") }
            buffer.moveReaderIndex(forwardBy: 4)
        default: throw Malformed(description: "unsupported wire type \(wireType)")
        }
    }
}
