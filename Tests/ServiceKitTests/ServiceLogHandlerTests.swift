import Foundation
import Logging
import Testing

@testable import ServiceKit

@Suite("Log lines")
struct ServiceLogHandlerTests {
    let date = Date(timeIntervalSince1970: 1_764_151_200.25)

    @Test("text lines carry time, level, service, message and sorted metadata")
    func text() {
        let line = ServiceLogHandler.render(
            date: date, level: .warning, service: "crm.1", message: "database unreachable",
            metadata: ["request.id": "r-1", "attempts": "3"], format: .text)
        #expect(line.hasSuffix(" warning crm.1: database unreachable attempts=3 request.id=r-1"))
        #expect(line.hasPrefix("2025-11-26T10:00:00.25"))
    }

    @Test("JSON lines are one object with the metadata as members")
    func json() throws {
        let line = ServiceLogHandler.render(
            date: date, level: .info, service: "identity.2", message: "say \"hi\"\nagain",
            metadata: ["request.id": "r-9"], format: .json)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "info")
        #expect(object["service"] == "identity.2")
        #expect(object["msg"] == "say \"hi\"\nagain")
        #expect(object["request.id"] == "r-9")
    }
}
