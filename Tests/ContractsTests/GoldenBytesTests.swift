import Contracts
import Foundation
import Testing

@Suite("Packed bytes equal protoc's encoding")
struct GoldenBytesTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: golden.appendingPathComponent(name)))
    }

    @Test("Everything packs to the committed protoc --encode bytes, and unpacks from them")
    func everything() throws {
        let expected = try Self.bytes("everything.bin")
        #expect(FixtureSamples.everything.serializedBytes() == expected)
        #expect(try ContractsFixture.Everything(serializedBytes: expected) == FixtureSamples.everything)
    }

    @Test("HealthResponse packs to the committed protoc --encode bytes")
    func health() throws {
        let m = Common.HealthResponse(
            status: .serving, service: "identity", version: "0.1.0", databaseReachable: true,
            migrationVersion: 3, uptimeSeconds: 86_400, instance: "identity.1")
        let expected = try Self.bytes("health.bin")
        #expect(m.serializedBytes() == expected)
        #expect(try Common.HealthResponse(serializedBytes: expected) == m)
    }

    @Test(
        "the committed golden bytes are what protoc encodes today",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/protoc")),
        arguments: [
            ("everything", "smarterchat.testing.Everything", "testing.proto"),
            ("health", "smarterchat.common.HealthResponse", "common.proto"),
        ])
    func protocAgrees(name: String, message: String, file: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/protoc")
        let protoDir = Self.repository.appendingPathComponent("Shared/Proto").path
        process.arguments = ["--encode=\(message)", "-I", protoDir, file]
        process.currentDirectoryURL = URL(fileURLWithPath: protoDir)
        process.standardInput = try FileHandle(forReadingFrom: Self.golden.appendingPathComponent(name + ".textproto"))
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let encoded = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Array(encoded) == (try Self.bytes(name + ".bin")))
    }
}
