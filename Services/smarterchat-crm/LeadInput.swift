import Foundation
import Postgres
import RPC

/// The rules for lead fields, shared by every way a lead is written (RPC from the channels
/// and agents, REST, CSV import): what is refused (INVALID_ARGUMENT with a message naming the
/// field) and how values are normalized for matching (E.164 phones, lower-cased emails).
enum LeadInput {
    static let statuses = ["new", "contacted", "qualified", "converted", "lost"]
    static let temperatures: Set<String> = ["hot", "warm", "cold"]
    static let sources: Set<String> = ["whatsapp", "instagram", "telegram", "webchat", "manual", "import", "api"]
    static let maximumTags = 50

    /// A trimmed text of at most `limit` characters ("" stays "").
    static func text(_ value: String, _ field: String, limit: Int = 255) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.unicodeScalars.contains("\0") else {
            throw RPCError(.invalidArgument, "\(field) must not contain NUL characters")
        }
        guard trimmed.count <= limit else {
            throw RPCError(.invalidArgument, "\(field) must have at most \(limit) characters")
        }
        return trimmed
    }

    /// The email lower-cased, "" for none; refuses a text that is not an address.
    static func email(_ value: String) throws -> String {
        let email = value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if email.isEmpty { return "" }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 255, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else { throw RPCError(.invalidArgument, "email is not a valid email address") }
        return email
    }

    /// The phone in E.164, "" for none; refuses a text that is not a phone number.
    static func phone(_ value: String) throws -> String {
        switch PhoneNumber.normalize(value) {
        case .success(let phone): return phone?.e164 ?? ""
        case .failure: throw RPCError(.invalidArgument, "phone is not a valid phone number")
        }
    }

    static func status(_ value: String) throws -> String {
        guard statuses.contains(value) else {
            throw RPCError(.invalidArgument, "status must be one of \(statuses.joined(separator: ", "))")
        }
        return value
    }

    /// hot, warm or cold; "" is cold.
    static func temperature(_ value: String) throws -> String {
        let value = value.isEmpty ? "cold" : value.lowercased()
        guard temperatures.contains(value) else {
            throw RPCError(.invalidArgument, "temperature must be hot, warm or cold")
        }
        return value
    }

    static func score(_ value: Int32) throws -> Int32 {
        guard (0...100).contains(value) else { throw RPCError(.invalidArgument, "score must be between 0 and 100") }
        return value
    }

    static func source(_ value: String, default fallback: String) throws -> String {
        let value = value.isEmpty ? fallback : value.lowercased()
        guard sources.contains(value) else {
            throw RPCError(
                .invalidArgument, "source must be one of \(sources.sorted().joined(separator: ", "))")
        }
        return value
    }

    /// Trimmed, non-empty, unique tags (first occurrence kept) of at most 50 characters each.
    static func tags(_ values: [String]) throws -> [String] {
        var seen = Set<String>(), tags: [String] = []
        for value in values {
            let tag = try text(value, "a tag", limit: 50)
            if tag.isEmpty || seen.contains(tag) { continue }
            seen.insert(tag)
            tags.append(tag)
        }
        guard tags.count <= maximumTags else {
            throw RPCError(.invalidArgument, "a lead may have at most \(maximumTags) tags")
        }
        return tags
    }

    /// A JSON object text ("{}" for ""), at most 16 KiB.
    static func jsonObject(_ value: String, _ field: String) throws -> String {
        if value.isEmpty { return "{}" }
        guard value.utf8.count <= 16 * 1024 else {
            throw RPCError(.invalidArgument, "\(field) must be at most 16 KiB")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(value.utf8))) is [String: Any] else {
            throw RPCError(.invalidArgument, "\(field) must be a JSON object")
        }
        return value
    }

    /// A user id, nil for "".
    static func userID(_ value: String, _ field: String) throws -> UUID? {
        if value.isEmpty { return nil }
        guard let id = UUID(canonicalText: value) else { throw RPCError(.invalidArgument, "\(field) must be a UUID") }
        return id
    }
}
