import CProtobufC
import ContractsC
import Foundation

/// Packs and unpacks generated messages with libprotobuf-c.
package enum ProtoCodec {
    /// Bytes of stack the C tree of a typical message fits in before the arena mallocs.
    static let stackArenaBytes = 1024

    /// Bytes of stack an unpacked C tree of a typical message fits in before the arena mallocs.
    static let stackUnpackBytes = 2048

    /// Unpacks `bytes` with libprotobuf-c and copies the C tree into a Swift value.
    ///
    /// The C tree is built in a bump arena on the stack (``smarterchat_arena_unpack``), so a
    /// typical message costs no `malloc` for its C side.
    package static func decode<M: CBridgedMessage>(_ type: M.Type, from bytes: UnsafeRawBufferPointer) throws -> M {
        try withUnsafeTemporaryAllocation(byteCount: stackUnpackBytes, alignment: 16) { scratch in
            var arena = SmarterchatArena()
            smarterchat_arena_init(&arena, scratch.baseAddress, scratch.count)
            defer { smarterchat_arena_release(&arena) }
            // libprotobuf-c reads nothing when the length is 0, but wants a pointer all the same.
            let data =
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
                ?? UnsafePointer(scratch.baseAddress!.assumingMemoryBound(to: UInt8.self))
            guard let unpacked = smarterchat_arena_unpack(&arena, M.cDescriptor, bytes.count, data) else {
                throw ProtoDecodingError(messageName: M.protoName)
            }
            return M(cMessage: UnsafeRawPointer(unpacked).assumingMemoryBound(to: M.CMessage.self))
        }
    }

    /// Builds the C tree of `message` in an arena, packs it, and hands the bytes to `body`.
    package static func encode<M: CBridgedMessage, R>(
        _ message: M, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: stackArenaBytes, alignment: 16) { scratch in
            var arena = ProtoArena(buffer: scratch)
            let c = arena.allocate(M.CMessage.self, count: 1)
            message.fill(c, arena: &arena)
            let base = UnsafeMutableRawPointer(c).assumingMemoryBound(to: ProtobufCMessage.self)
            let size = protobuf_c_message_get_packed_size(base)
            return try withUnsafeTemporaryAllocation(byteCount: max(size, 1), alignment: 1) { out in
                let written = protobuf_c_message_pack(base, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                return try body(UnsafeRawBufferPointer(rebasing: out[..<written]))
            }
        }
    }
}

/// Copies values out of protobuf-c C structs.
package enum ProtoRead {
    /// A C string (`NULL` reads as empty). Invalid UTF-8 is repaired, not rejected.
    @inline(__always)
    package static func string(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "" }
        return String(cString: p)
    }

    /// protobuf-c bytes.
    @inline(__always)
    package static func data(_ b: ProtobufCBinaryData) -> Data {
        guard b.len > 0, let p = b.data else { return Data() }
        return Data(bytes: p, count: b.len)
    }

    /// A nested message; a missing one reads as the default message.
    @inline(__always)
    package static func message<M: CBridgedMessage>(_ p: UnsafePointer<M.CMessage>?, as type: M.Type) -> M {
        p.map { M(cMessage: $0) } ?? M()
    }

    /// A repeated field C holds in the Swift representation.
    @inline(__always)
    package static func array<T>(_ p: UnsafePointer<T>?, count: Int) -> [T] {
        guard let p, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: count))
    }

    /// A repeated field, converted element by element.
    @inline(__always)
    package static func array<T, R>(_ p: UnsafePointer<T>?, count: Int, _ transform: (T) -> R) -> [R] {
        guard let p, count > 0 else { return [] }
        return UnsafeBufferPointer(start: p, count: count).map(transform)
    }
}
