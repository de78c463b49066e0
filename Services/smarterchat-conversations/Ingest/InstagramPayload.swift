import Cryptography
import Foundation

/// Parses Instagram messaging callbacks (`object: instagram`): every `entry[].messaging[]`
/// event. A `message` (text and/or attachments) or a `postback` is the contact's message; a
/// `reaction` is stored as one (`reaction`, as on WhatsApp); `read` (messaging_seen) and
/// `delivery` are statuses of our own messages, by mid. Echoes of the business's own sends
/// (`is_echo`) are skipped so the bot never answers itself. Any other kind of event
/// (`message_edit`, `referral`, ...) is stored as `unsupported` with the raw event in
/// `external_metadata.raw`.
enum InstagramPayload {
    /// What one messaging event comes to.
    enum Part: Equatable {
        case message(InboundMessage)
        case statuses([InboundStatus])
        case ignored
    }

    static func parse(_ body: some Collection<UInt8>) -> InboundPayload {
        var payload = InboundPayload()
        guard let root = LooseJSON.object(body), let entries = root["entry"] as? [Any] else {
            payload.ignored = 1
            return payload
        }
        for case let entry as [String: Any] in entries {
            let events = (entry["messaging"] as? [Any]) ?? []
            if events.isEmpty { payload.ignored += 1 }
            for event in events {
                switch (event as? [String: Any]).map(parseEvent) ?? .ignored {
                case .message(let message): payload.messages.append(message)
                case .statuses(let statuses) where !statuses.isEmpty: payload.statuses += statuses
                case .statuses, .ignored: payload.ignored += 1
                }
            }
        }
        return payload
    }

    static func parseEvent(_ event: [String: Any]) -> Part {
        guard let sender = (event["sender"] as? [String: Any]).flatMap({ LooseJSON.string($0["id"]) }),
            let contact = LooseJSON.clip(sender, 255), !contact.isEmpty
        else { return .ignored }
        let sentAt = LooseJSON.date(event["timestamp"], milliseconds: true)
        if let read = event["read"] as? [String: Any] {
            return .statuses(statuses(read, status: "read", at: sentAt))
        }
        if let delivery = event["delivery"] as? [String: Any] {
            return .statuses(statuses(delivery, status: "delivered", at: sentAt))
        }
        let base = InboundMessage(
            externalID: "", contactIdentifier: contact, contactName: nil, contactPhone: nil, contentType: "text",
            content: "", mediaURL: nil, mediaMetadata: nil, externalMetadata: "{}", sentAt: sentAt)
        if let postback = event["postback"] as? [String: Any] {
            var parsed = base
            parsed.externalID = mid(postback) ?? eventKey("postback", event)
            parsed.contentType = "interactive"
            parsed.content = LooseJSON.string(postback["title"]) ?? ""
            parsed.mediaMetadata = LooseJSON.text(["postback": postback])
            return .message(parsed)
        }
        if let reaction = event["reaction"] as? [String: Any] {
            // Keyed by the event, not the mid (that is the message reacted to, shared by a
            // reaction and its removal). An empty emoji means the reaction was removed.
            var parsed = base
            parsed.externalID = eventKey("reaction", event)
            parsed.contentType = "reaction"
            parsed.content =
                LooseJSON.string(reaction["action"]) == "unreact" ? "" : LooseJSON.string(reaction["emoji"]) ?? ""
            parsed.mediaMetadata = LooseJSON.text(reaction)
            return .message(parsed)
        }
        guard let message = event["message"] as? [String: Any] else {
            var parsed = base
            parsed.externalID = eventKey(kind(of: event), event)
            parsed.contentType = "unsupported"
            parsed.externalMetadata = LooseJSON.text(["raw": event])
            return .message(parsed)
        }
        if (message["is_echo"] as? Bool) == true { return .ignored }
        var extra: [String: Any] = [:]
        for key in ["reply_to", "referral"] where message[key] != nil { extra[key] = message[key] }
        var parsed = base
        parsed.externalID = mid(message) ?? eventKey("message", event)
        parsed.content = LooseJSON.string(message["text"]) ?? ""
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
        return .message(parsed)
    }

    /// The statuses a receipt names: `mid` (messaging_seen) or `mids` (a delivery).
    static func statuses(_ receipt: [String: Any], status: String, at timestamp: Date?) -> [InboundStatus] {
        let mids = [mid(receipt)].compactMap { $0 } + ((receipt["mids"] as? [Any]) ?? []).compactMap(mid(text:))
        return mids.map { InboundStatus(externalID: $0, status: status, timestamp: timestamp) }
    }

    static func mid(_ object: [String: Any]) -> String? { mid(text: object["mid"]) }

    static func mid(text value: Any?) -> String? {
        guard let mid = LooseJSON.clip(LooseJSON.string(value), 255), !mid.isEmpty else { return nil }
        return mid
    }

    /// The name of an event's kind: its member other than sender, recipient and timestamp.
    static func kind(of event: [String: Any]) -> String {
        event.keys.filter { !["sender", "recipient", "timestamp"].contains($0) }.sorted().first ?? "event"
    }

    /// The dedupe key of an event that has no id of its own: its kind, the mid it names (else
    /// the sender) and its timestamp, which Meta's redeliveries repeat; without a timestamp,
    /// a digest of the whole event.
    static func eventKey(_ kind: String, _ event: [String: Any]) -> String {
        let part = event[kind] as? [String: Any]
        let subject =
            part.flatMap { mid($0) } ?? (event["sender"] as? [String: Any]).flatMap { LooseJSON.string($0["id"]) }
        let key: String
        if let timestamp = LooseJSON.string(event["timestamp"]), let subject {
            key = "\(kind):\(subject):\(timestamp)"
        } else {
            key = "\(kind):" + Hex.encode(Digest.sha256(Array(LooseJSON.text(event).utf8)))
        }
        return LooseJSON.clip(key, 255) ?? key
    }
}
