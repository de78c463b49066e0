import Contracts
import NIOCore
import TestSupport
import Testing

@testable import RPC

@Suite("The envelope headers are byte-identical to libprotobuf-c's")
struct RPCEnvelopeTests {
    static let principals: [Principal] = [
        Principal(),
        Principal(organizationId: "7f1c2a9e-0000-4000-8000-000000000001", userId: "u", role: "admin"),
        Principal(apiKeyId: "key-1", scopes: ["leads:write", "", "conversações:ler"]),
        Principal(
            organizationId: String(repeating: "o", count: 200), userId: "ü", role: "super_admin", apiKeyId: "k",
            scopes: ["a"]),
    ]

    @Test("request headers encode to the bytes libprotobuf-c packs", arguments: principals.indices)
    func requestHeaderMatchesProtobufC(index: Int) throws {
        let principal = Self.principals[index]
        for (method, timeout) in [("smarterchat.identity.Identity/Health", UInt32(0)), ("a.B/C", 2000), ("", 300_000)] {
            let ours = WireRequestHeader(
                method: method, timeoutMilliseconds: timeout,
                metadata: CallMetadata(requestID: "req-\(index)", caller: "gateway", principal: principal))
            var buffer = ByteBuffer()
            ours.encode(into: &buffer)
            let reference = Envelope.RequestHeader(
                method: method, timeoutMs: timeout, requestId: "req-\(index)", caller: "gateway",
                principal: principal.isEmpty ? nil : principal)
            #expect(Array(buffer.readableBytesView) == reference.serializedBytes())
            let decoded = try WireRequestHeader.decode(ByteBuffer(bytes: reference.serializedBytes()))
            #expect(decoded == ours)
        }
    }

    @Test("random request headers agree with libprotobuf-c both ways")
    func randomRequestHeaders() throws {
        var generator = SeededGenerator(seed: 0x5EED_2026)
        let alphabet = Array("abcXYZ019-_:/.ãçé€😀 ")
        func text(_ maximum: Int) -> String {
            String(
                (0..<Int(generator.next() % UInt64(maximum + 1))).map { _ in
                    alphabet[Int(generator.next() % UInt64(alphabet.count))]
                })
        }
        for _ in 0..<300 {
            let principal = Principal(
                organizationId: text(40), userId: text(40), role: text(12), apiKeyId: text(20),
                scopes: (0..<Int(generator.next() % 4)).map { _ in text(15) })
            let ours = WireRequestHeader(
                method: text(60),
                timeoutMilliseconds: UInt32(truncatingIfNeeded: generator.next() >> UInt64(generator.next() % 64)),
                metadata: CallMetadata(requestID: text(36), caller: text(12), principal: principal))
            var buffer = ByteBuffer()
            ours.encode(into: &buffer)
            let reference = Envelope.RequestHeader(
                method: ours.method, timeoutMs: ours.timeoutMilliseconds, requestId: ours.metadata.requestID,
                caller: ours.metadata.caller, principal: principal.isEmpty ? nil : principal)
            #expect(Array(buffer.readableBytesView) == reference.serializedBytes())
            #expect(try WireRequestHeader.decode(ByteBuffer(bytes: reference.serializedBytes())) == ours)
            let unpacked = try Envelope.RequestHeader(serializedBytes: Array(buffer.readableBytesView))
            #expect(unpacked.method == ours.method && unpacked.principal == (principal.isEmpty ? nil : principal))
        }
    }

    @Test("response headers encode to the bytes libprotobuf-c packs, for every status code")
    func responseHeaderMatchesProtobufC() throws {
        for code in [0] + RPCError.Code.allCases.map(\.rawValue) {
            let ours = WireResponseHeader(code: code, message: code == 0 ? "" : "não encontrado \(code)")
            var buffer = ByteBuffer()
            ours.encode(into: &buffer)
            let reference = Envelope.ResponseHeader(
                code: Envelope.StatusCode(rawValue: Int32(code)), message: ours.message)
            #expect(Array(buffer.readableBytesView) == reference.serializedBytes())
            #expect(try WireResponseHeader.decode(ByteBuffer(bytes: reference.serializedBytes())) == ours)
        }
    }

    @Test("GOAWAY encodes to the bytes libprotobuf-c packs")
    func goAwayMatchesProtobufC() throws {
        let ours = WireGoAway(lastCallID: 4_000_000_000, reason: "server shutting down")
        var buffer = ByteBuffer()
        ours.encode(into: &buffer)
        let reference = Envelope.GoAway(lastCallId: 4_000_000_000, reason: "server shutting down")
        #expect(Array(buffer.readableBytesView) == reference.serializedBytes())
        #expect(try WireGoAway.decode(ByteBuffer(bytes: reference.serializedBytes())) == ours)
    }

    @Test("fields from a newer peer are skipped and unknown status codes read as UNKNOWN")
    func newerPeer() throws {
        // method "m", then unknown fields 9 (varint), 10 (fixed64), 11 (bytes), 12 (fixed32).
        let bytes: [UInt8] =
            [0x0A, 0x01, 0x6D, 0x48, 0x96, 0x01, 0x51] + Array(repeating: 1, count: 8)
            + [0x5A, 0x02, 0xFF, 0xFF, 0x65, 1, 2, 3, 4]
        let header = try WireRequestHeader.decode(ByteBuffer(bytes: bytes))
        #expect(header.method == "m")
        let response = try WireResponseHeader.decode(ByteBuffer(bytes: [0x08, 0x63]))
        #expect(RPCError.Code(wireValue: response.code) == .unknown)
    }

    @Test(
        "truncated or ill-typed headers are rejected",
        arguments: [
            [0x0A, 0x05, 0x61] as [UInt8], [0x0A], [0x08], [0x10, 0x80], [0x2A, 0x03, 0x0A, 0x09, 0x00], [0x0B],
            [0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0x15, 1, 2, 3, 4],
        ])
    func malformed(bytes: [UInt8]) {
        #expect(throws: (any Error).self) { try WireRequestHeader.decode(ByteBuffer(bytes: bytes)) }
    }
}
