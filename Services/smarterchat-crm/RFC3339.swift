import Foundation

/// Parsing the timestamps the contracts and the query string carry.
enum RFC3339 {
    /// `2026-11-26T12:00:00Z`, with or without fractional seconds, any offset; nil otherwise.
    static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// An RFC 3339 timestamp, or a `YYYY-MM-DD` day (midnight UTC); nil otherwise.
    static func dateOrDay(_ text: String) -> Date? {
        if let date = date(text) { return date }
        guard text.count == 10 else { return nil }
        return date(text + "T00:00:00Z")
    }
}
