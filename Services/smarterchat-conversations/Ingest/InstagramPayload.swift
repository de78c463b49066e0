import Foundation

/// Parses Instagram messaging callbacks (`object: instagram`): every `entry[].messaging[]`
/// event with a `message` (text and/or attachments) or a `postback`. Echoes of the business's
/// own sends (`is_echo`) are skipped so the bot never answers itself; reads, reactions and
/// other kinds are counted as ignored.
enum InstagramPayload {
    static func parse(_ body: some Collection<UInt8>) -> InboundPayload {
        var payload = InboundPayload()
        guard let root = LooseJSON.object(body), let entries = root["entry"] as? [Any] else {
            payload.ignored = 1
            return payload
        }
        for case let entry as [String: Any] in entries {
            let events = (entry["messaging"] as? [Any]) ?? []
            if events.isEmpty { payload.ignored += 1 }
            for case let event as [String: Any] in events {
                if let message = parseEvent(event) {
                    payload.messages.append(message)
                } else {
                    payload.ignored += 1
                }
            }
        }
        return payload
    }

    static func parseEvent(_ event: [String: Any]) -> InboundMessage? {
        guard let sender = (event["sender"] as? [String: Any]).flatMap({ LooseJSON.string($0["id"]) }),
            let contact = LooseJSON.clip(sender, 255), !contact.isEmpty
        else { return nil }
        let sentAt = LooseJSON.date(event["timestamp"], milliseconds: true)
        if let postback = event["postback"] as? [String: Any] {
            guard let mid = LooseJSON.clip(LooseJSON.string(postback["mid"]), 255), !mid.isEmpty else { return nil }
            return InboundMessage(
                externalID: mid, contactIdentifier: contact, contactName: nil, contactPhone: nil,
                contentType: "interactive", content: LooseJSON.string(postback["title"]) ?? "", mediaURL: nil,
                mediaMetadata: LooseJSON.text(["postback": postback]), externalMetadata: "{}", sentAt: sentAt)
        }
        guard let message = event["message"] as? [String: Any],
            let mid = LooseJSON.clip(LooseJSON.string(message["mid"]), 255), !mid.isEmpty
        else { return nil }
        if (message["is_echo"] as? Bool) == true { return nil }
        var extra: [String: Any] = [:]
        for key in ["reply_to", "referral"] where message[key] != nil { extra[key] = message[key] }
        var parsed = InboundMessage(
            externalID: mid, contactIdentifier: contact, contactName: nil, contactPhone: nil, contentType: "text",
            content: LooseJSON.string(message["text"]) ?? "", mediaURL: nil, mediaMetadata: nil,
            externalMetadata: "{}", sentAt: sentAt)
        if let quickReply = message["quick_reply"] as? [String: Any] {
            parsed.contentType = "interactive"
            parsed.mediaMetadata = LooseJSON.text(["quick_reply": quickReply])
        } else if let attachments = message["attachments"] as? [Any], !attachments.isEmpty {
            let first = attachments.first as? [String: Any]
            let kind = LooseJSON.string(first?["type"]) ?? ""
            let mapped = ["image": "image", "video": "video", "audio": "audio", "file": "document"][kind]
            if let mapped {
                parsed.contentType = mapped
                parsed.mediaURL = LooseJSON.clip(
                    (first?["payload"] as? [String: Any]).flatMap { LooseJSON.string($0["url"]) }, 500)
                parsed.mediaMetadata = LooseJSON.text(["attachments": attachments])
            } else {
                parsed.contentType = "unsupported"
                extra["raw"] = message
            }
        } else if parsed.content.isEmpty {
            parsed.contentType = "unsupported"
            extra["raw"] = message
        }
        parsed.externalMetadata = LooseJSON.text(extra)
        return parsed
    }
}
