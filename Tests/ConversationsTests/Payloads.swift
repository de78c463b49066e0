import Foundation

/// Callback bodies shaped as the providers document them (external-apis.md §1–§3).
enum Payloads {
    static func whatsAppText(
        id: String, from: String = "16505551234", name: String = "Sheena Nelson", text: String,
        phoneNumberID: String = "106540352242922"
    ) -> String {
        """
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",
        "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881",
        "phone_number_id":"\(phoneNumberID)"},"contacts":[{"profile":{"name":"\(name)"},"wa_id":"\(from)"}],
        "messages":[{"from":"\(from)","id":"\(id)","timestamp":"1739321024","type":"text","text":{"body":"\(text)"}}]}}]}]}
        """
    }

    /// Two entries: an image, an audio note, a document, a location, a button reply and an
    /// unknown type, from one contact.
    static func whatsAppMixed(prefix: String, from: String) -> String {
        """
        {"object":"whatsapp_business_account","entry":[
         {"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
          "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
          "contacts":[{"profile":{"name":"Ana"},"wa_id":"\(from)"}],
          "messages":[
           {"from":"\(from)","id":"\(prefix).img","timestamp":"1739321024","type":"image",
            "image":{"id":"1479537139650973","mime_type":"image/jpeg","sha256":"abc=","caption":"my receipt"}},
           {"from":"\(from)","id":"\(prefix).aud","timestamp":"1739321025","type":"audio",
            "audio":{"id":"552","mime_type":"audio/ogg; codecs=opus","sha256":"def=","voice":true}},
           {"from":"\(from)","id":"\(prefix).doc","timestamp":"1739321026","type":"document",
            "document":{"id":"553","mime_type":"application/pdf","sha256":"ghi=","filename":"invoice.pdf"}}]}}]},
         {"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
          "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
          "contacts":[{"profile":{"name":"Ana"},"wa_id":"\(from)"}],
          "messages":[
           {"from":"\(from)","id":"\(prefix).loc","timestamp":"1739321027","type":"location",
            "location":{"latitude":-23.5505,"longitude":-46.6333,"name":"Loja Centro","address":"Rua A, 1"}},
           {"from":"\(from)","id":"\(prefix).btn","timestamp":"1739321028","type":"interactive",
            "interactive":{"type":"button_reply","button_reply":{"id":"yes-1","title":"Yes, book it"}}},
           {"from":"\(from)","id":"\(prefix).odd","timestamp":"1739321029","type":"holo_call",
            "holo_call":{"depth":3}}]}}]}]}
        """
    }

    static func whatsAppStatus(id: String, status: String, timestamp: Int) -> String {
        """
        {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
        "statuses":[{"id":"\(id)","status":"\(status)","timestamp":"\(timestamp)","recipient_id":"16505551234",
        "pricing":{"billable":true,"pricing_model":"PMP","category":"service"}}]}}]}]}
        """
    }

    static func whatsAppFailed(id: String, phoneNumberID: String = "106540352242922") -> String {
        """
        {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
        "messaging_product":"whatsapp","metadata":{"phone_number_id":"\(phoneNumberID)"},
        "statuses":[{"id":"\(id)","status":"failed","timestamp":"1750857384","recipient_id":"16505551234",
        "errors":[{"code":131047,"title":"Re-engagement message"}]}]}}]}]}
        """
    }

    static func instagram(prefix: String, sender: String) -> String {
        """
        {"object":"instagram","entry":[{"id":"17841400000000000","time":1569262486134,"messaging":[
          {"sender":{"id":"\(sender)"},"recipient":{"id":"17841400000000000"},"timestamp":1569262485349,
           "message":{"mid":"\(prefix).t","text":"hi from insta"}},
          {"sender":{"id":"\(sender)"},"recipient":{"id":"17841400000000000"},"timestamp":1569262485350,
           "message":{"mid":"\(prefix).i","attachments":[{"type":"image","payload":{"url":"https://cdn.example/p.jpg"}}]}},
          {"sender":{"id":"17841400000000000"},"recipient":{"id":"\(sender)"},"timestamp":1569262485351,
           "message":{"mid":"\(prefix).echo","text":"our own reply","is_echo":true}}]}]}
        """
    }

    /// One Instagram messaging event (`"reaction":{...}`, `"read":{...}`, ...) from `sender`.
    static func instagramEvent(_ event: String, sender: String, timestamp: Int64) -> String {
        """
        {"object":"instagram","entry":[{"id":"17841400000000000","time":\(timestamp),"messaging":[
          {"sender":{"id":"\(sender)"},"recipient":{"id":"17841400000000000"},"timestamp":\(timestamp),\(event)}]}]}
        """
    }

    static func telegram(updateID: Int, chatID: Int64, text: String) -> String {
        """
        {"update_id":\(updateID),"message":{"message_id":42,"date":1700000000,
        "from":{"id":\(chatID),"is_bot":false,"first_name":"Ana","last_name":"B","username":"ana","language_code":"en"},
        "chat":{"id":\(chatID),"type":"private","first_name":"Ana","username":"ana"},"text":"\(text)"}}
        """
    }
}
