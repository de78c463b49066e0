import Contracts
import Foundation
import NIOCore
import Testing

@testable import RPC

/// Keeps the worked example of docs/rpc-protocol.md true: the hex printed there must be what
/// this implementation sends, and what libprotobuf-c's own packing produces.
@Suite("docs/rpc-protocol.md test vector")
struct RPCProtocolDocTests {
    static let metadata = CallMetadata(
        requestID: "req-1", caller: "gateway",
        principal: Principal(organizationId: "org-1", userId: "user-1", role: "admin"))

    static func requestFrame() -> [UInt8] {
        var buffer = ByteBuffer()
        let header = WireRequestHeader(
            method: Identity.Service.health.fullName, timeoutMilliseconds: 2000, metadata: metadata)
        buffer.writeCallFrame(kind: .request, callID: 1, header: { header.encode(into: &$0) }) {
            $0.writeMessage(Common.HealthRequest())
        }
        return Array(buffer.readableBytesView)
    }

    static func responseFrame() -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeCallFrame(kind: .response, callID: 1, header: { WireResponseHeader.ok.encode(into: &$0) }) {
            $0.writeMessage(Common.HealthResponse(status: .serving, service: "identity", instance: "identity.1"))
        }
        return Array(buffer.readableBytesView)
    }

    static func errorFrame() -> [UInt8] {
        var buffer = ByteBuffer()
        let header = WireResponseHeader(RPCError(.unimplemented, "no"))
        buffer.writeCallFrame(kind: .response, callID: 2, header: { header.encode(into: &$0) }) { _ in }
        return Array(buffer.readableBytesView)
    }

    /// The hex block that follows `<!-- test-vector:name -->` in the document.
    static func documented(_ name: String) throws -> [UInt8] {
        let docURL = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/rpc-protocol.md")
        let text = try String(contentsOf: docURL, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- test-vector:\(name) -->"))
        let afterMarker = text[marker.upperBound...]
        let open = try #require(afterMarker.range(of: "```hex\n"))
        let close = try #require(afterMarker[open.upperBound...].range(of: "```"))
        return afterMarker[open.upperBound..<close.lowerBound]
            .split(whereSeparator: { $0 == " " || $0 == "\n" })
            .map { UInt8($0, radix: 16)! }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { row in
            bytes[row..<min(row + 16, bytes.count)].map { String(format: "%02x", $0) }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    @Test(
        "the documented request, response and error frames are what the code sends",
        arguments: [
            "request", "response", "error",
        ])
    func vector(name: String) throws {
        let actual =
            switch name {
            case "request": Self.requestFrame()
            case "response": Self.responseFrame()
            default: Self.errorFrame()
            }
        let documented = try Self.documented(name)
        #expect(documented == actual, "docs/rpc-protocol.md \(name) should read:\n\(Self.hex(actual))")
    }

    @Test("the documented request header is libprotobuf-c's packing of the same RequestHeader")
    func headerIsProtobufC() throws {
        let frame = try Self.documented("request")
        try #require(frame.count > 13)
        let headerLength = Int(frame[9]) << 24 | Int(frame[10]) << 16 | Int(frame[11]) << 8 | Int(frame[12])
        try #require(frame.count >= 13 + headerLength)
        let reference = Envelope.RequestHeader(
            method: "smarterchat.identity.Identity/Health", timeoutMs: 2000, requestId: "req-1", caller: "gateway",
            principal: Self.metadata.principal)
        #expect(Array(frame[13..<(13 + headerLength)]) == reference.serializedBytes())
    }
}
