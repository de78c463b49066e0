import Foundation

/// What one callback POST carries once parsed: the contacts' messages, the delivery
/// statuses of our own messages, and how many parts were skipped (echoes of our sends,
/// kinds of update we do not handle).
struct InboundPayload: Sendable, Equatable {
    var messages: [InboundMessage] = []
    var statuses: [InboundStatus] = []
    var ignored = 0

    /// The business numbers (WhatsApp phone_number_id) other than `own` that parts name.
    func otherBusinessNumbers(than own: String) -> Set<String> {
        Set((messages.compactMap(\.businessNumberID) + statuses.compactMap(\.businessNumberID)).filter { $0 != own })
    }

    /// The parts for business number `number` (`nil`: those naming none or an unknown one,
    /// i.e. not in `others`).
    func parts(for number: String?, others: Set<String>) -> InboundPayload {
        func belongs(_ id: String?) -> Bool {
            guard let number else { return id.map { !others.contains($0) } ?? true }
            return id == number
        }
        return InboundPayload(
            messages: messages.filter { belongs($0.businessNumberID) },
            statuses: statuses.filter { belongs($0.businessNumberID) }, ignored: number == nil ? ignored : 0)
    }
}

/// A contact's message as a channel delivered it.
struct InboundMessage: Sendable, Equatable {
    /// The channel's id for it (wamid, Instagram mid, Telegram update id): the dedupe key.
    var externalID: String
    /// Who wrote, as the channel names them (phone, IGSID, Telegram chat id, session id).
    var contactIdentifier: String
    var contactName: String?
    /// The phone number when the channel gives one (WhatsApp).
    var contactPhone: String?
    /// text, image, audio, video, document, sticker, location, contacts, interactive, button,
    /// reaction, unsupported.
    var contentType: String
    /// The text, caption, chosen title or a short description; empty when there is none.
    var content: String
    var mediaURL: String?
    /// A JSON object: media id, mime type, sha256, file name, coordinates, reply ids, ...
    var mediaMetadata: String?
    /// A JSON object: what else the channel said (context, referral, the raw part of an
    /// unsupported message).
    var externalMetadata: String
    /// When the contact sent it, by the channel's clock.
    var sentAt: Date?
    /// WhatsApp: the business number it was sent to (`value.metadata.phone_number_id`).
    var businessNumberID: String? = nil
}

/// A delivery status of a message we sent.
struct InboundStatus: Sendable, Equatable {
    /// The external id our send recorded on the message.
    var externalID: String
    /// sent, delivered, read or failed.
    var status: String
    var timestamp: Date?
    /// The provider's errors for a failed status, as a JSON object `{"errors": [...]}`.
    var errors: String?
    /// A failed status's reason, worded as the send path words a refusal (`(#code) message`):
    /// what the inbox shows as the message's `error`.
    var error: String? = nil
    /// WhatsApp: the business number that sent the message (`value.metadata.phone_number_id`).
    var businessNumberID: String? = nil
}

extension InboundStatus {
    /// The reason of a failure the provider reported without saying why.
    static let unexplainedFailure = "the provider reported the message as failed"
}

/// Small helpers for reading loosely typed JSON.
enum LooseJSON {
    /// Parses an object; nil for anything else. U+0000 (`\u0000` in the JSON text) is
    /// removed from every string and key: PostgreSQL's text and jsonb refuse it, and one such
    /// character in a provider's payload would otherwise fail the whole callback, every time
    /// the provider redelivers it.
    static func object(_ data: some Collection<UInt8>) -> [String: Any]? {
        let bytes = Data(data)
        guard
            let object = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) as? [String: Any]
        else { return nil }
        guard bytes.range(of: Data(#"\u0000"#.utf8)) != nil else { return object }
        return withoutNUL(object) as? [String: Any]
    }

    /// `value` with U+0000 removed from its strings and keys, at any depth.
    static func withoutNUL(_ value: Any) -> Any {
        switch value {
        case let text as String: return text.replacingOccurrences(of: "\0", with: "")
        case let array as [Any]: return array.map(withoutNUL)
        case let object as [String: Any]:
            var clean: [String: Any] = [:]
            for (key, member) in object { clean[key.replacingOccurrences(of: "\0", with: "")] = withoutNUL(member) }
            return clean
        default: return value
        }
    }

    /// `value` as JSON text (sorted keys); `{}` when it cannot be written.
    static func text(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A string member, also accepting numbers (Telegram ids, Meta's string timestamps).
    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text
        case let integer as Int64: return String(integer)
        case let double as Double where double.isFinite: return String(double)
        default: return nil
        }
    }

    /// A Unix time in seconds (or milliseconds when `milliseconds`), as a string or number.
    static func date(_ value: Any?, milliseconds: Bool = false) -> Date? {
        guard let text = string(value), let number = Double(text), number.isFinite, number > 0 else { return nil }
        let seconds = milliseconds ? number / 1000 : number
        guard seconds < 32_503_680_000 else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// At most `limit` characters of `text`.
    static func clip(_ text: String?, _ limit: Int) -> String? {
        guard let text else { return nil }
        let clean = text.replacingOccurrences(of: "\0", with: "")
        return clean.count <= limit ? clean : String(clean.prefix(limit))
    }
}
