import CProtobufC
import Foundation

/// A bump allocator holding the C struct tree of one message while it is packed.
///
/// The first bytes come from the caller (a stack buffer); more come from `malloc` in chunks
/// freed together when the arena ends. Nothing in the tree is freed on its own, so
/// `protobuf_c_message_free_unpacked` must never see a tree built here.
package struct ProtoArena: ~Copyable {
    private var cursor: UnsafeMutableRawPointer
    private var remaining: Int
    /// The most recent `malloc`ed chunk; each chunk starts with a pointer to the previous one.
    private var chunks: UnsafeMutableRawPointer?

    private static let chunkSize = 4096
    private static let chunkHeader = 16

    /// An arena that first uses `buffer`, which must outlive it.
    package init(buffer: UnsafeMutableRawBufferPointer) {
        cursor = buffer.baseAddress!
        remaining = buffer.count
        chunks = nil
    }

    deinit {
        var chunk = chunks
        while let c = chunk {
            chunk = c.load(as: UnsafeMutableRawPointer?.self)
            free(c)
        }
    }

    /// Uninitialised memory for `count` values of `T`, valid until the arena ends.
    package mutating func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let byteCount = MemoryLayout<T>.stride * count
        let alignment = MemoryLayout<T>.alignment
        let padding = (alignment - Int(bitPattern: cursor) % alignment) % alignment
        if padding + byteCount > remaining {
            grow(atLeast: byteCount + alignment)
            return allocate(type, count: count)
        }
        let p = cursor + padding
        cursor = p + byteCount
        remaining -= padding + byteCount
        return p.bindMemory(to: T.self, capacity: count)
    }

    private mutating func grow(atLeast byteCount: Int) {
        let size = max(Self.chunkSize, byteCount + Self.chunkHeader)
        guard let chunk = malloc(size) else { fatalError("out of memory packing a protobuf message") }
        chunk.storeBytes(of: chunks, as: UnsafeMutableRawPointer?.self)
        chunks = chunk
        cursor = chunk + Self.chunkHeader
        remaining = size - Self.chunkHeader
    }

    /// A NUL-terminated copy of `string`.
    ///
    /// protobuf-c measures strings with `strlen`, so a string holding U+0000 is cut there.
    package mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var s = string
        return s.withUTF8 { utf8 in
            let p = allocate(CChar.self, count: utf8.count + 1)
            if let base = utf8.baseAddress {
                UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: utf8.count)
            }
            p[utf8.count] = 0
            return p
        }
    }

    /// A copy of `data` as protobuf-c bytes.
    package mutating func binary(_ data: Data) -> ProtobufCBinaryData {
        guard !data.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let p = allocate(UInt8.self, count: data.count)
        data.copyBytes(to: p, count: data.count)
        return ProtobufCBinaryData(len: data.count, data: p)
    }

    /// A copy of an array whose elements C holds in the same representation.
    package mutating func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let p = allocate(T.self, count: values.count)
        values.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: $0.count) }
        return p
    }

    /// A C struct tree for a nested message.
    package mutating func message<M: CBridgedMessage>(_ value: M) -> UnsafeMutablePointer<M.CMessage> {
        let p = allocate(M.CMessage.self, count: 1)
        value.fill(p, arena: &self)
        return p
    }
}
