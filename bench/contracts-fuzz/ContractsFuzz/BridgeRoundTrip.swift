import CProtobufC
import Contracts

/// The properties the contracts bridge must keep for any input bytes, checked for one message
/// type; a broken property stops the process so that libFuzzer records the input as a crash.
///
/// For bytes `input` and a message type `M`:
/// 1. the Swift face accepts `input` exactly when libprotobuf-c itself unpacks it;
/// 2. when it does, the value packs to bytes that decode again, and that second value is
///    equal to the first and packs to the same bytes (the encoding is canonical);
/// 3. libprotobuf-c unpacks and repacks those bytes unchanged, so what Swift writes into the
///    C structs is what the C side reads;
/// 4. the value's JSON form (the gateway's) decodes to the same value.
enum BridgeRoundTrip {
    /// Checks every property for `M`; returns whether `input` decoded.
    @discardableResult
    static func check<M: CBridgedMessage>(_ type: M.Type, _ input: UnsafeRawBufferPointer) -> Bool {
        let cAccepts = unpacksInC(M.self, input)
        let first: M
        do {
            first = try M(serializedBytes: input)
        } catch {
            guard !cAccepts else { fail(M.self, "Swift rejected bytes libprotobuf-c unpacks", input) }
            return false
        }
        guard cAccepts else { fail(M.self, "Swift accepted bytes libprotobuf-c rejects", input) }

        let firstBytes = first.serializedBytes()
        let second: M
        do {
            second = try M(serializedBytes: firstBytes)
        } catch {
            fail(M.self, "re-encoded bytes do not decode", input)
        }
        let secondBytes = second.serializedBytes()
        guard firstBytes == secondBytes else { fail(M.self, "re-encoding is not stable", input) }
        // A NaN makes two values with the same bits unequal; then the equal bytes above are the
        // check. (`first != first` would not do: arrays sharing storage compare equal at once.)
        guard first == second || FloatScan.containsNaN(first) else {
            fail(M.self, "decode(encode(value)) != value:\n\(first)\n\(second)", input)
        }
        firstBytes.withUnsafeBytes { bytes in
            guard let repacked = repackedInC(M.self, bytes) else {
                fail(M.self, "libprotobuf-c rejects what Swift packed", input)
            }
            guard repacked == firstBytes else {
                fail(M.self, "libprotobuf-c repacks Swift's bytes differently", input)
            }
        }
        JSONRoundTrip.check(first)
        return true
    }

    /// Whether libprotobuf-c, with its own allocator, unpacks `input` as `M`.
    private static func unpacksInC<M: CBridgedMessage>(_ type: M.Type, _ input: UnsafeRawBufferPointer) -> Bool {
        var byte: UInt8 = 0
        return withUnsafePointer(to: &byte) { empty in
            let data = input.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty
            guard let message = protobuf_c_message_unpack(M.cDescriptor, nil, input.count, data) else {
                return false
            }
            protobuf_c_message_free_unpacked(message, nil)
            return true
        }
    }

    /// The bytes libprotobuf-c packs after unpacking `input`, or `nil` when it rejects them.
    private static func repackedInC<M: CBridgedMessage>(
        _ type: M.Type, _ input: UnsafeRawBufferPointer
    ) -> [UInt8]? {
        var byte: UInt8 = 0
        return withUnsafePointer(to: &byte) { empty -> [UInt8]? in
            let data = input.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty
            guard let message = protobuf_c_message_unpack(M.cDescriptor, nil, input.count, data) else {
                return nil
            }
            defer { protobuf_c_message_free_unpacked(message, nil) }
            let size = protobuf_c_message_get_packed_size(message)
            return [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
                count = protobuf_c_message_pack(message, buffer.baseAddress!)
            }
        }
    }

    /// Stops the process with the message type, the broken property and the input in hex.
    private static func fail<M: ProtoMessage>(
        _ type: M.Type, _ property: String, _ input: UnsafeRawBufferPointer
    ) -> Never {
        let hex = input.prefix(256).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        fatalError("ContractsFuzz: \(M.protoName): \(property); input \(hex.joined())")
    }
}
