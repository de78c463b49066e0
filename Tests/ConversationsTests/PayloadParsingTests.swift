import Foundation
import Testing

@testable import ConversationsService

@Suite("Parsing the providers' callback payloads")
struct PayloadParsingTests {
    @Test("WhatsApp: a username-only contact (from_user_id, no from) and an errors-only value")
    func whatsAppNewerShapes() {
        let body = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
             {"field":"messages","value":{"metadata":{"phone_number_id":"77"},
              "contacts":[{"profile":{"name":"Lu"},"user_id":"BR.123"}],
              "messages":[{"from_user_id":"BR.123","id":"wamid.U","timestamp":"1739321024","type":"text",
                           "text":{"body":"oi"},"context":{"from":"155","id":"wamid.prev"}}]}},
             {"field":"messages","value":{"errors":[{"code":130429,"title":"Rate limit hit"}]}}]}]}
            """
        let payload = WhatsAppPayload.parse(Array(body.utf8))
        #expect(payload.messages.count == 1 && payload.ignored == 1)
        let message = payload.messages[0]
        #expect(message.contactIdentifier == "BR.123" && message.contactName == "Lu" && message.contactPhone == nil)
        #expect(message.businessNumberID == "77")
        #expect(message.externalMetadata.contains("wamid.prev"))
        #expect(message.sentAt == Date(timeIntervalSince1970: 1_739_321_024))
    }

    @Test("WhatsApp: an unknown status value and a status without id are skipped")
    func whatsAppOddStatuses() {
        let body = """
            {"entry":[{"changes":[{"value":{"statuses":[{"id":"w1","status":"played"},{"status":"read"},
             {"id":"w2","status":"read","timestamp":"1750857384"}]}}]}]}
            """
        let payload = WhatsAppPayload.parse(Array(body.utf8))
        #expect(payload.statuses.map(\.externalID) == ["w2"] && payload.ignored == 2)
    }

    @Test("Instagram: a postback and a quick reply are interactive; a shared post is unsupported, kept raw")
    func instagramKinds() {
        let body = """
            {"object":"instagram","entry":[{"id":"9","time":1,"messaging":[
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485349,
              "postback":{"mid":"m.pb","title":"Talk to sales","payload":"SALES"}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485350,
              "message":{"mid":"m.qr","text":"Yes","quick_reply":{"payload":"YES"}}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485351,
              "message":{"mid":"m.share","attachments":[{"type":"share","payload":{"url":"https://x"}}]}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485352,"read":{"mid":"m.qr"}}]}]}
            """
        let payload = InstagramPayload.parse(Array(body.utf8))
        #expect(payload.messages.map(\.contentType) == ["interactive", "interactive", "unsupported"])
        #expect(payload.messages[0].content == "Talk to sales")
        #expect(payload.messages[2].externalMetadata.contains("share"))
        #expect(payload.ignored == 1)
        #expect(payload.messages[0].sentAt == Date(timeIntervalSince1970: 1_569_262_485.349))
    }

    @Test("Telegram: a button press, a photo with a caption, a voice note; other updates are ignored")
    func telegramKinds() {
        let press = TelegramPayload.parse(
            Array(
                """
                {"update_id":10,"callback_query":{"id":"q","from":{"id":5,"first_name":"Ana"},"data":"buy",
                 "message":{"message_id":3,"chat":{"id":5,"type":"private"}}}}
                """.utf8))
        #expect(press.messages.first?.contentType == "interactive" && press.messages.first?.content == "buy")
        #expect(press.messages.first?.externalID == "update:10")
        let photo = TelegramPayload.parse(
            Array(
                """
                {"update_id":11,"message":{"message_id":4,"date":1700000000,"chat":{"id":-100123,"type":"group","title":"Team"},
                 "photo":[{"file_id":"small","width":90},{"file_id":"big","width":1280}],"caption":"invoice"}}
                """.utf8))
        #expect(photo.messages.first?.contentType == "image" && photo.messages.first?.content == "invoice")
        #expect(photo.messages.first?.mediaMetadata?.contains("big") == true)
        #expect(photo.messages.first?.contactIdentifier == "-100123" && photo.messages.first?.contactName == "Team")
        let voice = TelegramPayload.parse(
            Array(
                #"{"update_id":12,"message":{"message_id":5,"chat":{"id":9007199254740993},"voice":{"file_id":"v","duration":3}}}"#
                    .utf8))
        #expect(voice.messages.first?.contentType == "audio")
        #expect(voice.messages.first?.contactIdentifier == "9007199254740993")
        let member = TelegramPayload.parse(Array(#"{"update_id":13,"my_chat_member":{"chat":{"id":1}}}"#.utf8))
        #expect(member.messages.isEmpty && member.ignored == 1)
    }
}
