import Contracts
import NIOCore

/// `smarterchat.rpc.RequestHeader`: opens a call.
struct WireRequestHeader: Sendable, Equatable {
    var method: String
    /// Milliseconds the caller waits, from when the server reads the header; 0 = none.
    var timeoutMilliseconds: UInt32
    var metadata: CallMetadata

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeStringField(1, method)
        buffer.writeVarintField(2, UInt64(timeoutMilliseconds))
        buffer.writeStringField(3, metadata.requestID)
        buffer.writeStringField(4, metadata.caller)
        let principal = metadata.principal
        guard !principal.isEmpty else { return }
        var size = ProtoWire.stringFieldSize(principal.organizationId)
        size += ProtoWire.stringFieldSize(principal.userId)
        size += ProtoWire.stringFieldSize(principal.role)
        size += ProtoWire.stringFieldSize(principal.apiKeyId)
        for value in principal.scopes + principal.grants {
            let count = value.utf8.count
            size += 1 + ProtoWire.varintSize(UInt64(count)) + count
        }
        buffer.writeTag(5, ProtoWire.lengthDelimited)
        buffer.writeVarint(UInt64(size))
        buffer.writeStringField(1, principal.organizationId)
        buffer.writeStringField(2, principal.userId)
        buffer.writeStringField(3, principal.role)
        buffer.writeStringField(4, principal.apiKeyId)
        // Repeated strings are written even when empty.
        for scope in principal.scopes {
            buffer.writeTag(5, ProtoWire.lengthDelimited)
            buffer.writeVarint(UInt64(scope.utf8.count))
            buffer.writeString(scope)
        }
        for grant in principal.grants {
            buffer.writeTag(6, ProtoWire.lengthDelimited)
            buffer.writeVarint(UInt64(grant.utf8.count))
            buffer.writeString(grant)
        }
    }

    static func decode(_ buffer: ByteBuffer) throws -> WireRequestHeader {
        var reader = ProtoReader(buffer: buffer)
        var header = WireRequestHeader(method: "", timeoutMilliseconds: 0, metadata: CallMetadata())
        while let (field, wireType) = try reader.nextField() {
            switch field {
            case 1: header.method = try reader.readString(wireType: wireType)
            case 2: header.timeoutMilliseconds = UInt32(truncatingIfNeeded: try reader.readVarint(wireType: wireType))
            case 3: header.metadata.requestID = try reader.readString(wireType: wireType)
            case 4: header.metadata.caller = try reader.readString(wireType: wireType)
            case 5:
                guard wireType == ProtoWire.lengthDelimited else {
                    throw ProtoReader.Malformed(description: "principal with wrong wire type")
                }
                header.metadata.principal = try decodePrincipal(reader.readLengthDelimited())
            default: try reader.skip(wireType: wireType)
            }
        }
        return header
    }

    static func decodePrincipal(_ buffer: ByteBuffer) throws -> Principal {
        var reader = ProtoReader(buffer: buffer)
        var principal = Principal()
        while let (field, wireType) = try reader.nextField() {
            switch field {
            case 1: principal.organizationId = try reader.readString(wireType: wireType)
            case 2: principal.userId = try reader.readString(wireType: wireType)
            case 3: principal.role = try reader.readString(wireType: wireType)
            case 4: principal.apiKeyId = try reader.readString(wireType: wireType)
            case 5: principal.scopes.append(try reader.readString(wireType: wireType))
            case 6: principal.grants.append(try reader.readString(wireType: wireType))
            default: try reader.skip(wireType: wireType)
            }
        }
        return principal
    }
}

/// `smarterchat.rpc.ResponseHeader`: closes a call with its status.
struct WireResponseHeader: Sendable, Equatable {
    /// The wire status code; 0 is OK.
    var code: Int
    var message: String

    static let ok = WireResponseHeader(code: 0, message: "")

    init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: RPCError) {
        self.init(code: error.code.rawValue, message: error.message)
    }

    func encode(into buffer: inout ByteBuffer) {
        // Enums are int32 on the wire: negative values take ten bytes, as protobuf-c writes them.
        if code != 0 {
            buffer.writeTag(1, ProtoWire.varint)
            buffer.writeVarint(UInt64(bitPattern: Int64(code)))
        }
        buffer.writeStringField(2, message)
    }

    static func decode(_ buffer: ByteBuffer) throws -> WireResponseHeader {
        var reader = ProtoReader(buffer: buffer)
        var header = WireResponseHeader.ok
        while let (field, wireType) = try reader.nextField() {
            switch field {
            case 1: header.code = Int(Int32(truncatingIfNeeded: try reader.readVarint(wireType: wireType)))
            case 2: header.message = try reader.readString(wireType: wireType)
            default: try reader.skip(wireType: wireType)
            }
        }
        return header
    }
}

/// `smarterchat.rpc.GoAway`: the server is draining.
struct WireGoAway: Sendable, Equatable {
    var lastCallID: UInt32
    var reason: String

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeVarintField(1, UInt64(lastCallID))
        buffer.writeStringField(2, reason)
    }

    static func decode(_ buffer: ByteBuffer) throws -> WireGoAway {
        var reader = ProtoReader(buffer: buffer)
        var goAway = WireGoAway(lastCallID: 0, reason: "")
        while let (field, wireType) = try reader.nextField() {
            switch field {
            case 1: goAway.lastCallID = UInt32(truncatingIfNeeded: try reader.readVarint(wireType: wireType))
            case 2: goAway.reason = try reader.readString(wireType: wireType)
            default: try reader.skip(wireType: wireType)
            }
        }
        return goAway
    }
}
