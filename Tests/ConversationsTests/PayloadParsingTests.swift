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

    @Test("WhatsApp: a catalog order lists its items and note; an order without its part is unsupported")
    func whatsAppOrder() {
        let body = """
            {"entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"77"},
              "messages":[{"from":"5511987654321","id":"wamid.O","timestamp":"1739321024","type":"order",
                "order":{"catalog_id":"cat-1","text":"entregar à tarde",
                  "product_items":[{"product_retailer_id":"SKU-1","quantity":2,"item_price":12.5,"currency":"BRL"},
                                   {"product_retailer_id":"SKU-2","quantity":1,"item_price":99,"currency":"BRL"}]}},
                {"from":"5511987654321","id":"wamid.P","timestamp":"1739321025","type":"order"}]}}]}]}
            """
        let payload = WhatsAppPayload.parse(Array(body.utf8))
        #expect(payload.messages.map(\.contentType) == ["order", "unsupported"])
        #expect(payload.messages[0].content == "2 × SKU-1 (12.5 BRL); 1 × SKU-2 (99 BRL); entregar à tarde")
        #expect(payload.messages[0].mediaMetadata?.contains("cat-1") == true)
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
        // The read receipt is a status of the message it names, not a message.
        #expect(payload.statuses.map(\.externalID) == ["m.qr"] && payload.statuses.first?.status == "read")
        #expect(payload.statuses.first?.timestamp == Date(timeIntervalSince1970: 1_569_262_485.352))
        #expect(payload.ignored == 0)
        #expect(payload.messages[0].sentAt == Date(timeIntervalSince1970: 1_569_262_485.349))
    }

    @Test("Instagram: a reaction and its removal are reactions; an edit and a referral are unsupported, kept raw")
    func instagramOtherEvents() throws {
        let body = """
            {"object":"instagram","entry":[{"id":"9","time":1,"messaging":[
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485360,
              "reaction":{"mid":"m.out.1","action":"react","reaction":"love","emoji":"\\u2764\\ufe0f"}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485361,
              "reaction":{"mid":"m.out.1","action":"unreact"}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485362,
              "message_edit":{"mid":"m.in.1","text":"see you at 3","num_edit":1}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485363,
              "referral":{"ref":"summer","source":"IGME","type":"OPEN_THREAD"}},
             {"sender":{"id":"9"},"recipient":{"id":"s1"},"timestamp":1569262485364,
              "message":{"mid":"m.echo","text":"our reply","is_echo":true}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485365,"delivery":{"mids":["m.out.2","m.out.3"]}},
             {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485366,"read":{}}]}]}
            """
        let payload = InstagramPayload.parse(Array(body.utf8))
        #expect(payload.messages.map(\.contentType) == ["reaction", "reaction", "unsupported", "unsupported"])
        #expect(payload.messages[0].content == "\u{2764}\u{fe0f}" && payload.messages[1].content.isEmpty)
        #expect(payload.messages[0].mediaMetadata?.contains("m.out.1") == true)
        // Each event its own key, the same at every redelivery.
        #expect(Set(payload.messages.map(\.externalID)).count == 4)
        #expect(payload.messages[0].externalID == "reaction:m.out.1:1569262485360")
        #expect(payload.messages[2].externalID == "message_edit:m.in.1:1569262485362")
        #expect(payload.messages[3].externalID == "referral:s1:1569262485363")
        #expect(
            InstagramPayload.parse(Array(body.utf8)).messages.map(\.externalID) == payload.messages.map(\.externalID))
        let edit = try #require(LooseJSON.object(Array(payload.messages[2].externalMetadata.utf8)))
        #expect(
            ((edit["raw"] as? [String: Any])?["message_edit"] as? [String: Any])?["text"] as? String == "see you at 3")
        #expect(payload.messages[3].externalMetadata.contains("OPEN_THREAD"))
        #expect(payload.messages.allSatisfy { $0.contactIdentifier == "s1" })
        #expect(payload.statuses.map(\.externalID) == ["m.out.2", "m.out.3"])
        #expect(payload.statuses.allSatisfy { $0.status == "delivered" })
        // The echo, and the receipt naming no message.
        #expect(payload.ignored == 2)
    }

    @Test("WhatsApp: a video, a template's quick-reply button and a list reply")
    func whatsAppVideoButtonList() {
        let body = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
             "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"77"},
             "contacts":[{"profile":{"name":"Lu"},"wa_id":"5511987654321"}],
             "messages":[
              {"from":"5511987654321","id":"wamid.V","timestamp":"1739321030","type":"video",
               "video":{"id":"2154","mime_type":"video/mp4","sha256":"vid=","caption":"unboxing"}},
              {"from":"5511987654321","id":"wamid.B","timestamp":"1739321031","type":"button",
               "context":{"from":"15550783881","id":"wamid.template"},
               "button":{"text":"Confirm order","payload":"CONFIRM_ORDER_123"}},
              {"from":"5511987654321","id":"wamid.L","timestamp":"1739321032","type":"interactive",
               "interactive":{"type":"list_reply","list_reply":{"id":"slot-tue-10","title":"Tuesday 10:00",
                "description":"Centro store"}}}]}}]}]}
            """
        let payload = WhatsAppPayload.parse(Array(body.utf8))
        #expect(payload.ignored == 0)
        let byID = Dictionary(uniqueKeysWithValues: payload.messages.map { ($0.externalID, $0) })
        let video = byID["wamid.V"]
        #expect(video?.contentType == "video" && video?.content == "unboxing")
        #expect(video?.mediaMetadata?.contains("mime_type") == true && video?.mediaMetadata?.contains("vid=") == true)
        #expect(video?.mediaMetadata?.contains("2154") == true && video?.mediaMetadata?.contains("caption") == false)
        let button = byID["wamid.B"]
        #expect(button?.contentType == "button" && button?.content == "Confirm order")
        #expect(button?.mediaMetadata?.contains("CONFIRM_ORDER_123") == true)
        #expect(button?.externalMetadata.contains("wamid.template") == true)
        let list = byID["wamid.L"]
        #expect(list?.contentType == "interactive" && list?.content == "Tuesday 10:00")
        #expect(list?.mediaMetadata?.contains("slot-tue-10") == true)
        #expect(list?.mediaMetadata?.contains("Centro store") == true)
        #expect(payload.messages.allSatisfy { $0.contactName == "Lu" && $0.businessNumberID == "77" })
    }

    @Test("Instagram and Telegram: a video keeps its URL or file id")
    func videoOnOtherChannels() {
        let instagram = InstagramPayload.parse(
            Array(
                """
                {"object":"instagram","entry":[{"id":"9","time":1,"messaging":[
                 {"sender":{"id":"s1"},"recipient":{"id":"9"},"timestamp":1569262485349,
                  "message":{"mid":"m.v","attachments":[{"type":"video","payload":{"url":"https://cdn.example/v.mp4"}}]}}]}]}
                """.utf8))
        #expect(instagram.messages.first?.contentType == "video")
        #expect(instagram.messages.first?.mediaURL == "https://cdn.example/v.mp4")
        let telegram = TelegramPayload.parse(
            Array(
                """
                {"update_id":14,"message":{"message_id":6,"date":1700000000,"chat":{"id":5,"type":"private"},
                 "video":{"file_id":"vid-1","duration":12,"mime_type":"video/mp4"},"caption":"look"}}
                """.utf8))
        #expect(telegram.messages.first?.contentType == "video" && telegram.messages.first?.content == "look")
        #expect(telegram.messages.first?.mediaMetadata?.contains("vid-1") == true)
        let note = TelegramPayload.parse(
            Array(
                #"{"update_id":15,"message":{"message_id":7,"chat":{"id":5},"video_note":{"file_id":"round-1","length":240}}}"#
                    .utf8))
        #expect(note.messages.first?.contentType == "video")
        #expect(note.messages.first?.mediaMetadata?.contains("round-1") == true)
    }

    @Test(
        "Telegram: a button press, a photo, a voice note, a contact card, a venue; a poll is unsupported; others ignored"
    )
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
        let card = TelegramPayload.parse(
            Array(
                """
                {"update_id":14,"message":{"message_id":6,"chat":{"id":5},"from":{"id":5,"first_name":"Ana"},
                 "contact":{"phone_number":"+5511987654321","first_name":"Ana","last_name":"Souza","user_id":5}}}
                """.utf8))
        #expect(card.messages.first?.contentType == "contacts")
        #expect(card.messages.first?.content == "Ana Souza +5511987654321")
        #expect(card.messages.first?.mediaMetadata?.contains("user_id") == true)
        let venue = TelegramPayload.parse(
            Array(
                """
                {"update_id":15,"message":{"message_id":7,"chat":{"id":5},
                 "venue":{"location":{"latitude":-23.56,"longitude":-46.65},"title":"Loja Paulista","address":"Av. Paulista, 1000"},
                 "location":{"latitude":-23.56,"longitude":-46.65}}}
                """.utf8))
        #expect(venue.messages.first?.contentType == "location")
        #expect(venue.messages.first?.content == "Loja Paulista, Av. Paulista, 1000")
        let poll = TelegramPayload.parse(
            Array(#"{"update_id":16,"message":{"message_id":8,"chat":{"id":5},"poll":{"id":"p","question":"?"}}}"#.utf8)
        )
        #expect(poll.messages.first?.contentType == "unsupported")
        let member = TelegramPayload.parse(Array(#"{"update_id":13,"my_chat_member":{"chat":{"id":1}}}"#.utf8))
        #expect(member.messages.isEmpty && member.ignored == 1)
    }
}
