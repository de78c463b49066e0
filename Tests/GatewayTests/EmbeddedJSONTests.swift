import Foundation
import Testing

@testable import GatewayService

@Suite("JSON documents carried as text in the contracts are JSON values in the REST API")
struct EmbeddedJSONTests {
    @Test("x_json members become x, nested too; empty text is null; text that is not JSON stays text")
    func embed() throws {
        let value: [String: Any] = [
            "handoff_rules_json": #"{"max_ai_turns":3}"#, "name": "Ana",
            "reply": ["entities_json": #"{"email":"a@b.c"}"#, "metadata_json": ""],
            "versions": [["config_json": #"{"tone":"formal"}"#]], "odd_json": "not json",
        ]
        let embedded = try #require(EmbeddedJSON.embed(value) as? [String: Any])
        #expect((embedded["handoff_rules"] as? [String: Any])?["max_ai_turns"] as? Int == 3)
        #expect(embedded["handoff_rules_json"] == nil)
        #expect(embedded["name"] as? String == "Ana")
        let reply = try #require(embedded["reply"] as? [String: Any])
        #expect((reply["entities"] as? [String: Any])?["email"] as? String == "a@b.c")
        #expect(reply["metadata"] is NSNull)
        #expect(
            ((embedded["versions"] as? [[String: Any]])?.first?["config"] as? [String: Any])?["tone"] as? String
                == "formal")
        #expect(embedded["odd"] as? String == "not json")
    }
}
