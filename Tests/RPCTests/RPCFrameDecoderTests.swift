import NIOCore
import Testing

@testable import RPC

@Suite("Frame decoder")
struct RPCFrameDecoderTests {
    static let sample: [UInt8] =
        RPCWireFixtures.requestFrame(callID: 3, method: "a.B/C", message: [0x0A, 0x01, 0x78])
        + [0, 0, 0, 13, 4, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8] + [0, 0, 0, 5, 3, 0, 0, 0, 3]

    @Test("frames split at any byte boundary decode the same", arguments: 1...12)
    func chunked(chunkSize: Int) throws {
        var decoder = RPCFrameDecoder()
        var buffer = ByteBuffer()
        var frames: [RPCFrame] = []
        for chunk in stride(from: 0, to: Self.sample.count, by: chunkSize) {
            buffer.writeBytes(Self.sample[chunk..<min(chunk + chunkSize, Self.sample.count)])
            while let frame = try decoder.decode(buffer: &buffer) { frames.append(frame) }
        }
        #expect(frames.map(\.kind) == [.request, .ping, .cancel])
        #expect(frames.map(\.callID) == [3, 0, 3])
        let (header, message) = try frames[0].callParts()
        #expect(try WireRequestHeader.decode(header).method == "a.B/C")
        #expect(Array(message.readableBytesView) == [0x0A, 0x01, 0x78])
        #expect(Array(frames[1].payload.readableBytesView) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(buffer.readableBytes == 0)
    }

    @Test("an oversized length is refused from its first four bytes")
    func oversized() throws {
        var decoder = RPCFrameDecoder(maximumFrameSize: 100)
        var buffer = ByteBuffer(bytes: [0, 0, 0, 101])
        #expect(throws: RPCFrameError(.oversized, "length 101 is over the limit of 100 bytes")) {
            _ = try decoder.decode(buffer: &buffer)
        }
        var exact = ByteBuffer(bytes: [0, 0, 0, 100, 1])
        #expect(try decoder.decode(buffer: &exact) == nil)
    }

    @Test("a length shorter than the fixed header and an unknown type are malformed")
    func malformed() throws {
        var decoder = RPCFrameDecoder()
        var short = ByteBuffer(bytes: [0, 0, 0, 4, 1, 0, 0, 0])
        #expect(throws: RPCFrameError.self) { _ = try decoder.decode(buffer: &short) }
        var unknown = ByteBuffer(bytes: [0, 0, 0, 5, 0, 0, 0, 0, 1])
        #expect(throws: RPCFrameError.self) { _ = try decoder.decode(buffer: &unknown) }
    }

    @Test("a call frame whose header length runs past the frame is malformed")
    func headerPastFrame() throws {
        var decoder = RPCFrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 10, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0])
        let frame = try #require(try decoder.decode(buffer: &buffer))
        #expect(throws: RPCFrameError.self) { _ = try frame.callParts() }
    }

    @Test("bytes left at end of stream are a truncated frame")
    func truncatedAtEOF() throws {
        var decoder = RPCFrameDecoder()
        var buffer = ByteBuffer(bytes: Array(Self.sample.prefix(20)))
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(throws: RPCFrameError.self) { _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true) }
        #expect(try RPCFrameDecoder.parseAll(ByteBuffer(bytes: Self.sample)) == 3)
    }
}
