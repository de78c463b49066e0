import Foundation

/// RFC 3339 text of a `Date` as the contracts carry it, `2026-11-26T12:00:00.123Z` (UTC,
/// milliseconds), the same text as `Date.ISO8601FormatStyle(includingFractionalSeconds:
/// true)` writes, without its calendar (a few microseconds per call: a page of 50
/// conversations writes some 250 timestamps).
public enum TimestampText {
    public static func rfc3339(_ date: Date) -> String {
        // Whole seconds and the milliseconds of the rest, both toward the past, computed
        // from the 2001 reference date as the format style computes them (a fraction such as
        // .999 stored as .99899… is written .998 by both).
        let reference = date.timeIntervalSinceReferenceDate
        let whole = reference.rounded(.down)
        let fraction = min(999, Int(((reference - whole) * 1_000_000_000).rounded(.down)) / 1_000_000)
        let secondsSince1970 = Int64(whole) + 978_307_200
        var days = secondsSince1970 / 86_400
        var rest = secondsSince1970 % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (year, month, day) = PostgresTimestamp.civil(fromDays: Int(days))
        // Before 1583 Foundation's calendar is Julian; such dates are left to it.
        guard (1583...9999).contains(year), whole.magnitude < 1e15 else {
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        let seconds = Int(rest)
        return String(unsafeUninitializedCapacity: 24) { out in
            var o = 0
            func put(_ value: Int, _ width: Int) {
                var value = value
                var k = width - 1
                while k >= 0 {
                    out[o + k] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                    k -= 1
                }
                o += width
            }
            func put(_ c: Unicode.Scalar) {
                out[o] = UInt8(ascii: c)
                o += 1
            }
            put(year, 4)
            put("-")
            put(month, 2)
            put("-")
            put(day, 2)
            put("T")
            put(seconds / 3600, 2)
            put(":")
            put(seconds / 60 % 60, 2)
            put(":")
            put(seconds % 60, 2)
            put(".")
            put(fraction, 3)
            put("Z")
            return o
        }
    }
}

extension TimestampText {
    /// RFC 3339 text of a `timestamptz` as a UTC session prints it (the connections set
    /// `TimeZone=UTC` and `DateStyle=ISO`: `2026-11-26 12:00:00.1234+00`), rewritten without
    /// a calendar: to whole seconds, `2026-11-26T12:00:00Z` (the fraction dropped, as
    /// `to_char(… 'SS')` drops it), or with `microseconds` to six digits,
    /// `2026-11-26T12:00:00.123400Z` (as `'SS.US'`). Formatting in SQL with `to_char` cost the
    /// server about 1 µs a value (a page of 50 leads has some 300).
    ///
    /// Text of another shape (a year past 9999, BC, infinity, another offset) goes through
    /// `Date`.
    public static func rfc3339(postgresUTC text: String, microseconds: Bool = false) -> String {
        let b = text.utf8
        let digit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        var shaped = b.count >= 22 && Array(b.suffix(3)) == Array("+00".utf8)
        var fraction: [UInt8] = []
        if shaped {
            for (index, c) in b.prefix(19).enumerated() {
                switch index {
                case 4, 7: shaped = shaped && c == UInt8(ascii: "-")
                case 10: shaped = shaped && c == UInt8(ascii: " ")
                case 13, 16: shaped = shaped && c == UInt8(ascii: ":")
                default: shaped = shaped && digit(c)
                }
            }
            let rest = Array(b.dropFirst(19).dropLast(3))
            if let first = rest.first {
                shaped = shaped && first == UInt8(ascii: ".") && rest.count <= 7 && rest.dropFirst().allSatisfy(digit)
                fraction = Array(rest.dropFirst())
            }
        }
        guard shaped else {
            guard let date = PostgresTimestamp.parse(text) else { return text }
            let style = Date.ISO8601FormatStyle(includingFractionalSeconds: microseconds)
            return date.formatted(style)
        }
        var out = Array(b.prefix(19))
        out[10] = UInt8(ascii: "T")
        if microseconds {
            out.append(UInt8(ascii: "."))
            out += fraction
            out += [UInt8](repeating: UInt8(ascii: "0"), count: 6 - fraction.count)
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
