import Contracts
import Foundation

/// The JSON form of a decoded message (what the gateway reads and writes) must give the same
/// value back; a broken round trip stops the process so that libFuzzer records the input.
enum JSONRoundTrip {
    /// Encodes `value` to JSON, decodes it again and checks the two values are equal.
    ///
    /// `JSONEncoder` refuses NaN and infinities by default; a refusal is accepted only when the
    /// value holds one.
    static func check<M: ProtoMessage>(_ value: M) {
        let json: Data
        do {
            json = try JSONEncoder().encode(value)
        } catch {
            guard FloatScan.containsNonFinite(value) else {
                fatalError("ContractsFuzz: \(M.protoName): JSON encoding failed: \(error)\n\(value)")
            }
            return
        }
        let decoded: M
        do {
            decoded = try JSONDecoder().decode(M.self, from: json)
        } catch {
            fatalError(
                "ContractsFuzz: \(M.protoName): its own JSON does not decode: \(error)\n\(String(decoding: json, as: UTF8.self))"
            )
        }
        guard decoded == value else {
            fatalError(
                "ContractsFuzz: \(M.protoName): JSON round trip changed the value:\n\(value)\n\(decoded)\n\(String(decoding: json, as: UTF8.self))"
            )
        }
    }
}
