import CodecBenchC
import Contracts
import Foundation

/// Encode+decode of a ~125-byte `RequestHeader`: the Swift face against protoc-c's structs,
/// in the same process, medians of several rounds. Writes `bench/out/codec.json`.
@main
struct CodecBench {
    static let rounds = 7
    static let iterations = 200_000

    static let header = Envelope.RequestHeader(
        method: "smarterchat.crm.Crm/GetLead", timeoutMs: 2500,
        requestId: "0b7e4c52-8f0a-4f7e-b1d2-9c3a5e7f1b2d", caller: "gateway",
        principal: Envelope.Principal(
            organizationId: "6f1c9a2e-3b7d-4c1a-9e8f-2d5b7a9c1e3f", role: "admin"))

    static func swiftRound() throws -> (ns: Double, checksum: UInt64) {
        var sum: UInt64 = 0
        let start = ContinuousClock.now
        for _ in 0..<iterations {
            let decoded = try header.withSerializedBytes { try Envelope.RequestHeader(serializedBytes: $0) }
            sum &+= UInt64(decoded.timeoutMs) &+ UInt64(decoded.method.utf8.count)
        }
        let elapsed = ContinuousClock.now - start
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return (ns / Double(iterations), sum)
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    static func main() throws {
        let size = header.serializedBytes().count
        var swiftNs: [Double] = [], cNs: [Double] = []
        var packed = 0, checksum: UInt64 = 0
        _ = try swiftRound()  // warm-up
        for _ in 0..<rounds {
            cNs.append(codec_bench_c_request_header(iterations, &packed, &checksum))
            swiftNs.append(try swiftRound().ns)
        }
        precondition(packed == size, "C and Swift pack different sizes: \(packed) vs \(size)")
        let (s, c) = (median(swiftNs), median(cNs))
        let ratio = s / c
        print("codec: RequestHeader of \(size) bytes, encode+decode, median of \(rounds) rounds × \(iterations)")
        print(String(format: "  swift %.0f ns   c %.0f ns   ratio %.2f (target ≤ 3)", s, c, ratio))
        let out = URL(fileURLWithPath: "bench/out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let json = String(
            format: "{\"swift_ns\": %.1f, \"c_ns\": %.1f, \"ratio\": %.3f, \"message_bytes\": %d}\n", s, c, ratio, size)
        try Data(json.utf8).write(to: out.appendingPathComponent("codec.json"))
    }
}
