import NIOCore

@testable import RPC

/// Builds frames byte by byte for tests that play a raw peer.
enum RPCWireFixtures {
    static func requestFrame(
        callID: UInt32, method: String, message: [UInt8], metadata: CallMetadata = CallMetadata(),
        timeoutMilliseconds: UInt32 = 0
    ) -> [UInt8] {
        var buffer = ByteBuffer()
        let header = WireRequestHeader(method: method, timeoutMilliseconds: timeoutMilliseconds, metadata: metadata)
        buffer.writeCallFrame(kind: .request, callID: callID, header: { header.encode(into: &$0) }) {
            $0.writeBytes(message)
        }
        return Array(buffer.readableBytesView)
    }
}
