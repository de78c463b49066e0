import Foundation

/// Parses one Telegram Bot API update: `message` (or `edited_message`, `channel_post`) and
/// `callback_query` (an inline button press). The dedupe key is the bot's `update_id`.
/// Chat ids may exceed 32 bits: they are kept as text.
enum TelegramPayload {
    static func parse(_ body: some Collection<UInt8>) -> InboundPayload {
        var payload = InboundPayload()
        guard let update = LooseJSON.object(body), let updateID = LooseJSON.string(update["update_id"]) else {
            payload.ignored = 1
            return payload
        }
        if let query = update["callback_query"] as? [String: Any] {
            let from = query["from"] as? [String: Any]
            let chat = (query["message"] as? [String: Any]).flatMap { $0["chat"] as? [String: Any] }
            guard let contact = LooseJSON.string(chat?["id"]) ?? LooseJSON.string(from?["id"]) else {
                payload.ignored = 1
                return payload
            }
            payload.messages.append(
                InboundMessage(
                    externalID: "update:\(updateID)", contactIdentifier: contact, contactName: name(from),
                    contactPhone: nil, contentType: "interactive", content: LooseJSON.string(query["data"]) ?? "",
                    mediaURL: nil, mediaMetadata: LooseJSON.text(["callback_query": query]), externalMetadata: "{}",
                    sentAt: nil))
            return payload
        }
        guard
            let message = (update["message"] ?? update["edited_message"] ?? update["channel_post"]) as? [String: Any],
            let chat = message["chat"] as? [String: Any], let contact = LooseJSON.string(chat["id"])
        else {
            payload.ignored = 1
            return payload
        }
        let from = message["from"] as? [String: Any]
        var parsed = InboundMessage(
            externalID: "update:\(updateID)", contactIdentifier: contact,
            contactName: name(from) ?? LooseJSON.string(chat["title"]), contactPhone: nil, contentType: "text",
            content: LooseJSON.string(message["text"]) ?? LooseJSON.string(message["caption"]) ?? "", mediaURL: nil,
            mediaMetadata: nil, externalMetadata: "{}", sentAt: LooseJSON.date(message["date"]))
        var extra: [String: Any] = ["message_id": message["message_id"] ?? NSNull()]
        if update["edited_message"] != nil { extra["edited"] = true }
        if let photos = message["photo"] as? [Any], let largest = photos.last as? [String: Any] {
            parsed.contentType = "image"
            parsed.mediaMetadata = LooseJSON.text(largest)
        } else if let kind = [
            "voice": "audio", "audio": "audio", "video": "video", "video_note": "video",
            "document": "document", "sticker": "sticker",
        ].first(where: { message[$0.key] != nil }) {
            parsed.contentType = kind.value
            parsed.mediaMetadata = LooseJSON.text((message[kind.key] as? [String: Any]) ?? [:])
        } else if let card = message["contact"] as? [String: Any] {
            // A shared contact card (often the sender's own, from a "share my number" button):
            // kept as WhatsApp's `contacts`, its name and number readable by the agent.
            parsed.contentType = "contacts"
            parsed.content = [name(card), LooseJSON.string(card["phone_number"])].compactMap { $0 }
                .joined(separator: " ")
            parsed.mediaMetadata = LooseJSON.text(["contacts": [card]])
        } else if let venue = message["venue"] as? [String: Any] {
            // A place: its name and address, as WhatsApp's named locations.
            let location = venue["location"] as? [String: Any]
            parsed.contentType = "location"
            let label = [LooseJSON.string(venue["title"]), LooseJSON.string(venue["address"])].compactMap { $0 }
            parsed.content =
                label.isEmpty
                ? "\(LooseJSON.string(location?["latitude"]) ?? "?"),\(LooseJSON.string(location?["longitude"]) ?? "?")"
                : label.joined(separator: ", ")
            parsed.mediaMetadata = LooseJSON.text(venue)
        } else if let location = message["location"] as? [String: Any] {
            parsed.contentType = "location"
            parsed.content =
                "\(LooseJSON.string(location["latitude"]) ?? "?"),\(LooseJSON.string(location["longitude"]) ?? "?")"
            parsed.mediaMetadata = LooseJSON.text(location)
        } else if message["text"] == nil {
            parsed.contentType = "unsupported"
            extra["raw"] = message
        }
        parsed.externalMetadata = LooseJSON.text(extra)
        payload.messages.append(parsed)
        return payload
    }

    static func name(_ user: [String: Any]?) -> String? {
        guard let user else { return nil }
        let parts = [LooseJSON.string(user["first_name"]), LooseJSON.string(user["last_name"])].compactMap { $0 }
        let full = parts.joined(separator: " ")
        return LooseJSON.clip(full.isEmpty ? LooseJSON.string(user["username"]) : full, 255)
    }
}
