import Foundation
import NIOHTTP1
import Testing

@testable import ConversationsService

@Suite("Provider answers classified: sent, retry, permanent failure, expired token")
struct ProviderAnswerTests {
    static func graph(_ status: Int, _ body: String) -> SendOutcome {
        ChannelProviders.parseGraph(status: status, headers: [:], body: Data(body.utf8))
    }

    @Test("WhatsApp Cloud: the message id on success, error codes decide the rest")
    func whatsApp() {
        #expect(
            Self.graph(200, #"{"messaging_product":"whatsapp","messages":[{"id":"wamid.X"}]}"#)
                == .sent(externalID: "wamid.X"))
        #expect(Self.graph(200, #"{"recipient_id":"1","message_id":"mid.Y"}"#) == .sent(externalID: "mid.Y"))
        if case .failed(let reason) = Self.graph(
            400, #"{"error":{"message":"Re-engagement message","code":131047}}"#)
        {
            #expect(reason.contains("131047"))
        } else {
            Issue.record("131047 is permanent")
        }
        for code in [130429, 131056, 131057, 1, 2, 131000, 4, 80007] {
            if case .retry = Self.graph(400, #"{"error":{"message":"busy","code":\#(code)}}"#) {
            } else {
                Issue.record("\(code) is retried")
            }
        }
        if case .unauthorized = Self.graph(401, #"{"error":{"message":"Session has expired","code":190}}"#) {
        } else {
            Issue.record("190 is an authorization failure")
        }
        if case .retry(let after, _) = ChannelProviders.parseGraph(
            status: 503, headers: ["Retry-After": "7"], body: Data("oops".utf8))
        {
            #expect(after == .seconds(7))
        } else {
            Issue.record("503 is retried")
        }
    }

    @Test("Telegram: ok/result, retry_after on 429, 401 token, 403 blocked is permanent")
    func telegram() {
        func parse(_ status: Int, _ body: String) -> SendOutcome {
            ChannelProviders.parseTelegram(status: status, headers: [:], body: Data(body.utf8))
        }
        #expect(parse(200, #"{"ok":true,"result":{"message_id":42}}"#) == .sent(externalID: "42"))
        #expect(
            parse(
                429,
                #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#
            ) == .retry(after: .seconds(35), reason: "Too Many Requests: retry after 35"))
        #expect(
            parse(401, #"{"ok":false,"error_code":401,"description":"Unauthorized"}"#)
                == .unauthorized(reason: "Unauthorized"))
        #expect(
            parse(403, #"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#)
                == .failed(reason: "Forbidden: bot was blocked by the user"))
    }

    @Test("the 24-hour and 7-day windows")
    func windows() throws {
        let now = Date()
        let recent = now.addingTimeInterval(-3600), old = now.addingTimeInterval(-25 * 3600)
        try ChannelRules.check(.text("oi"), channelType: "whatsapp", lastContactMessageAt: recent, byOperator: true)
        #expect(throws: (any Error).self) {
            try ChannelRules.check(.text("oi"), channelType: "whatsapp", lastContactMessageAt: old, byOperator: true)
        }
        try ChannelRules.check(
            .template(name: "t", language: "pt_BR", parameters: []), channelType: "whatsapp",
            lastContactMessageAt: old, byOperator: true)
        try ChannelRules.check(.text("oi"), channelType: "instagram", lastContactMessageAt: old, byOperator: true)
        #expect(throws: (any Error).self) {
            try ChannelRules.check(.text("oi"), channelType: "instagram", lastContactMessageAt: old, byOperator: false)
        }
        #expect(ChannelRules.needsHumanAgentTag(lastContactMessageAt: old, now: now))
        try ChannelRules.check(.text("oi"), channelType: "telegram", lastContactMessageAt: nil, byOperator: true)
    }
}
