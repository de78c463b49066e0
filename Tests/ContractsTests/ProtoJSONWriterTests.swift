import Contracts
import Foundation
import Testing

/// The generated JSON writers against the `Codable` conformance through `JSONEncoder` with
/// `.sortedKeys` (what the gateway used before): the bytes must be the same.
@Suite("Generated JSON writers write what JSONEncoder writes")
struct ProtoJSONWriterTests {
    static func encoded(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    static func expectSame<T: Encodable & ProtoJSONWritable>(_ value: T) throws {
        let written = value.jsonBytes
        let expected = try encoded(value)
        #expect(
            written == expected,
            "\(T.self):\n  writer:      \(String(decoding: written, as: UTF8.self))\n  JSONEncoder: \(String(decoding: expected, as: UTF8.self))"
        )
    }

    /// Strings that need escaping, non-ASCII text and the rest.
    static let strings = [
        "", "plain", "Olá, quanto custa? 😀 ção", "quote \" backslash \\ slash / end",
        "controls \u{0}\u{1}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{1F}\u{7F}", "https://example.com/a?b=c&d=<e>",
        "\u{2028}\u{2029}", "tab\tnew\nline",
    ]
    static let doubles: [Double] = [
        0, 1, -1, 0.1, 0.7, 1.5, 123_456_789.125, 1e-7, 1e21, -2.5e-10, .leastNonzeroMagnitude, 1e300, 100,
    ]

    @Test("scalars, strings, doubles, enums, repeated fields and optionals")
    func scalarsAndStrings() throws {
        for (index, text) in Self.strings.enumerated() {
            let double = Self.doubles[index % Self.doubles.count]
            try Self.expectSame(
                Agents.GenerateReplyResponse(
                    outcome: [.unspecified, .replied, .noReply, .failed, .init(rawValue: 42)][index % 5],
                    content: text, model: "gpt-4o/mini", promptTokens: Int32(index) - 3, completionTokens: .max,
                    processingTimeMs: .min, confidence: double, intent: text, entitiesJson: "{\"a\":[1,2]}",
                    offline: index % 2 == 0, handoff: index % 3 == 0, handoffReason: text,
                    closeConversation: true, metadataJson: "", tags: Self.strings.shuffled(), detail: text))
        }
        for double in Self.doubles {
            try Self.expectSame(ContractsFixture.EverythingV1(aDouble: double, aString: "x/y"))
            try Self.expectSame(ContractsFixture.EverythingV1(aDouble: -double, aString: ""))
        }
        try Self.expectSame(ContractsFixture.Everything.Inner(name: "n\"", values: [0, -1, .max, .min]))
        try Self.expectSame(ContractsFixture.Nothing())
    }

    @Test("nested and repeated messages, optional fields set and unset, bytes")
    func messages() throws {
        var agent = Agents.Agent()
        agent.id = "a1"
        agent.name = Self.strings[2]
        agent.temperature = 0.7
        agent.languages = ["pt-BR", "en"]
        agent.isPublished = true
        agent.totalConversations = 12
        try Self.expectSame(Agents.ListAgentsResponse(agents: [agent, Agents.Agent(), agent]))
        try Self.expectSame(Agents.ListAgentsResponse())
        try Self.expectSame(
            Agents.GenerateReplyRequest(
                organizationId: "o", agentId: "a",
                history: [
                    Agents.ConversationTurn(senderType: "contact", content: Self.strings[3], messageType: "text"),
                    Agents.ConversationTurn(),
                ], aiTurns: 3))
        var update = Agents.UpdateAgentRequest()
        try Self.expectSame(update)
        update.name = "novo"
        update.temperature = 1.0
        update.maxTokens = 0
        update.autoResponseEnabled = false
        try Self.expectSame(update)
        for bytes in [Data(), Data([0, 255, 254, 63]), Data((0..<200).map { UInt8($0) })] {
            try Self.expectSame(
                Conversations.IngestWebhookRequest(channelType: "whatsapp", channelId: "c", rawBody: bytes))
        }
        try Self.expectSame(Identity.GetMeResponse())
        var me = Identity.GetMeResponse()
        me.user = Identity.User()
        me.user?.email = "a/b@example.com"
        me.organization = Identity.Organization()
        try Self.expectSame(me)
    }

    @Test("a non-finite number is written as null (JSONEncoder refuses it)")
    func nonFinite() {
        let written = ContractsFixture.EverythingV1(aDouble: .nan, aString: "").jsonBytes
        #expect(String(decoding: written, as: UTF8.self) == #"{"a_double":null,"a_string":""}"#)
    }
}
