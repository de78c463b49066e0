import Foundation

/// Parses WhatsApp Cloud API callbacks (`object: whatsapp_business_account`): every
/// `entry[].changes[].value` with `messages[]` (and `contacts[]` for names) or `statuses[]`.
/// Anything unexpected is skipped or kept as `unsupported`, never an error.
enum WhatsAppPayload {
    static func parse(_ body: some Collection<UInt8>) -> InboundPayload {
        var payload = InboundPayload()
        guard let root = LooseJSON.object(body), let entries = root["entry"] as? [Any] else {
            payload.ignored = 1
            return payload
        }
        for case let entry as [String: Any] in entries {
            for case let change as [String: Any] in (entry["changes"] as? [Any]) ?? [] {
                guard let value = change["value"] as? [String: Any] else {
                    payload.ignored += 1
                    continue
                }
                let names = contactNames(value["contacts"])
                let number = (value["metadata"] as? [String: Any]).flatMap { LooseJSON.string($0["phone_number_id"]) }
                for case let message as [String: Any] in (value["messages"] as? [Any]) ?? [] {
                    if var parsed = parseMessage(message, names: names) {
                        parsed.businessNumberID = number
                        payload.messages.append(parsed)
                    } else {
                        payload.ignored += 1
                    }
                }
                for case let status as [String: Any] in (value["statuses"] as? [Any]) ?? [] {
                    if var parsed = parseStatus(status) {
                        parsed.businessNumberID = number
                        payload.statuses.append(parsed)
                    } else {
                        payload.ignored += 1
                    }
                }
                if value["messages"] == nil, value["statuses"] == nil { payload.ignored += 1 }
            }
        }
        return payload
    }

    /// wa_id (or user_id) → profile name.
    static func contactNames(_ value: Any?) -> [String: String] {
        var names: [String: String] = [:]
        for case let contact as [String: Any] in (value as? [Any]) ?? [] {
            let name = (contact["profile"] as? [String: Any]).flatMap { LooseJSON.string($0["name"]) }
            for key in ["wa_id", "user_id"] {
                if let id = LooseJSON.string(contact[key]), let name { names[id] = name }
            }
        }
        return names
    }

    static func parseMessage(_ message: [String: Any], names: [String: String]) -> InboundMessage? {
        guard let id = LooseJSON.clip(LooseJSON.string(message["id"]), 255), !id.isEmpty,
            let from = LooseJSON.clip(
                LooseJSON.string(message["from"]) ?? LooseJSON.string(message["from_user_id"]), 255), !from.isEmpty
        else { return nil }
        let type = LooseJSON.string(message["type"]) ?? "unsupported"
        var extra: [String: Any] = [:]
        for key in ["context", "referral", "errors", "timestamp"] where message[key] != nil {
            extra[key] = message[key]
        }
        var parsed = InboundMessage(
            externalID: id, contactIdentifier: from, contactName: LooseJSON.clip(names[from], 255),
            contactPhone: LooseJSON.string(message["from"]), contentType: type, content: "", mediaURL: nil,
            mediaMetadata: nil, externalMetadata: "{}", sentAt: LooseJSON.date(message["timestamp"]))
        let part = message[type] as? [String: Any]
        switch type {
        case "text":
            parsed.content = LooseJSON.string(part?["body"]) ?? ""
        case "image", "audio", "video", "document", "sticker":
            guard let part else { return unsupported(parsed, raw: message, extra: extra) }
            parsed.content = LooseJSON.string(part["caption"]) ?? ""
            parsed.mediaURL = LooseJSON.clip(LooseJSON.string(part["url"]), 500)
            var metadata = part
            metadata.removeValue(forKey: "caption")
            parsed.mediaMetadata = LooseJSON.text(metadata)
        case "location":
            guard let part else { return unsupported(parsed, raw: message, extra: extra) }
            let label = [LooseJSON.string(part["name"]), LooseJSON.string(part["address"])].compactMap { $0 }
            let coordinates =
                "\(LooseJSON.string(part["latitude"]) ?? "?"),\(LooseJSON.string(part["longitude"]) ?? "?")"
            parsed.content = label.isEmpty ? coordinates : label.joined(separator: ", ")
            parsed.mediaURL = LooseJSON.clip(LooseJSON.string(part["url"]), 500)
            parsed.mediaMetadata = LooseJSON.text(part)
        case "interactive":
            guard let part else { return unsupported(parsed, raw: message, extra: extra) }
            let kind = LooseJSON.string(part["type"]) ?? ""
            let reply = part[kind] as? [String: Any]
            parsed.content = LooseJSON.string(reply?["title"]) ?? LooseJSON.string(reply?["body"]) ?? ""
            parsed.mediaMetadata = LooseJSON.text(part)
        case "button":
            guard let part else { return unsupported(parsed, raw: message, extra: extra) }
            parsed.content = LooseJSON.string(part["text"]) ?? ""
            parsed.mediaMetadata = LooseJSON.text(part)
        case "reaction":
            guard let part else { return unsupported(parsed, raw: message, extra: extra) }
            parsed.content = LooseJSON.string(part["emoji"]) ?? ""
            parsed.mediaMetadata = LooseJSON.text(part)
        case "order":
            // A cart sent from the business's catalog: each item's quantity, product id and
            // price, then the customer's note, so the agent (and the operator) can confirm it.
            guard let part else { return unsupported(parsed, raw: message, extra: extra) }
            let items = ((part["product_items"] as? [Any]) ?? []).compactMap { $0 as? [String: Any] }.map { item in
                let quantity = LooseJSON.string(item["quantity"]) ?? "1"
                let product = LooseJSON.string(item["product_retailer_id"]) ?? "?"
                let price = [LooseJSON.string(item["item_price"]), LooseJSON.string(item["currency"])]
                    .compactMap { $0 }.joined(separator: " ")
                return price.isEmpty ? "\(quantity) × \(product)" : "\(quantity) × \(product) (\(price))"
            }
            parsed.content = (items + [LooseJSON.string(part["text"])].compactMap { $0 }).joined(separator: "; ")
            parsed.mediaMetadata = LooseJSON.text(part)
        case "contacts":
            let cards = (message["contacts"] as? [Any]) ?? []
            let names = cards.compactMap {
                (($0 as? [String: Any])?["name"] as? [String: Any]).flatMap { LooseJSON.string($0["formatted_name"]) }
            }
            parsed.content = names.joined(separator: ", ")
            parsed.mediaMetadata = LooseJSON.text(["contacts": cards])
        default:
            return unsupported(parsed, raw: message, extra: extra)
        }
        parsed.externalMetadata = LooseJSON.text(extra)
        return parsed
    }

    /// A message kind we do not model: kept, with the raw part in external_metadata.
    static func unsupported(_ message: InboundMessage, raw: [String: Any], extra: [String: Any]) -> InboundMessage {
        var message = message
        var metadata = extra
        metadata["raw"] = raw
        message.contentType = "unsupported"
        message.content = ""
        message.mediaURL = nil
        message.mediaMetadata = nil
        message.externalMetadata = LooseJSON.text(metadata)
        return message
    }

    static func parseStatus(_ status: [String: Any]) -> InboundStatus? {
        guard let id = LooseJSON.clip(LooseJSON.string(status["id"]), 255), !id.isEmpty,
            let value = LooseJSON.string(status["status"]), ["sent", "delivered", "read", "failed"].contains(value)
        else { return nil }
        return InboundStatus(
            externalID: id, status: value, timestamp: LooseJSON.date(status["timestamp"]),
            errors: status["errors"].map { LooseJSON.text(["errors": $0]) },
            error: value == "failed" ? failureReason(status["errors"]) : nil)
    }

    /// A failed status's reason as the send path words a provider's refusal: `(#code) message`
    /// from the first of `errors` (its `message`, else its `title`).
    static func failureReason(_ errors: Any?) -> String {
        guard let first = (errors as? [Any])?.first as? [String: Any] else { return InboundStatus.unexplainedFailure }
        let text = LooseJSON.string(first["message"]) ?? LooseJSON.string(first["title"])
        let message = LooseJSON.clip(text, 300) ?? "no reason given"
        guard let code = LooseJSON.string(first["code"]) else { return message }
        return "(#\(code)) \(message)"
    }
}
