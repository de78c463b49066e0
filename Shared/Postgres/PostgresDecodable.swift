import Foundation

/// A Swift type that a column's text value can be decoded into.
///
/// Conforming: `String`, `UUID`, `Int`, `Int32`, `Int64`, `Bool`, `Double`, `Decimal`
/// (numeric), `Date` (timestamptz), `Data` (bytea), ``PostgresJSON`` (json/jsonb),
/// arrays of these (one-dimensional) and `Optional` of any of them (NULL → `nil`).
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value from its PostgreSQL text representation.
    static func decode(postgresText text: String) throws -> Self
    /// The value for SQL NULL; the default throws, `Optional` answers `nil`.
    static func decodeNull() throws -> Self
}

extension PostgresDecodable {
    /// Throws: a non-optional type cannot hold NULL.
    public static func decodeNull() throws -> Self {
        throw PostgresError(code: .decodingFailed, message: "unexpected NULL for \(Self.self)")
    }

    static func failure(_ what: String = "") -> PostgresError {
        PostgresError(code: .decodingFailed, message: "column value is not a valid \(Self.self)\(what)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// Decodes the wrapped type.
    public static func decode(postgresText text: String) throws -> Self { try Wrapped.decode(postgresText: text) }
    /// `nil`.
    public static func decodeNull() throws -> Self { nil }
}

extension String: PostgresDecodable {
    /// The text itself.
    public static func decode(postgresText text: String) throws -> String { text }
}

extension UUID: PostgresDecodable {
    /// Parses `xxxxxxxx-xxxx-…`.
    public static func decode(postgresText text: String) throws -> UUID {
        guard let value = UUID(canonicalText: text) else { throw failure() }
        return value
    }
}

extension Int: PostgresDecodable {
    /// Parses a decimal integer (int2, int4 or int8).
    public static func decode(postgresText text: String) throws -> Int {
        guard let value = Int(text) else { throw failure() }
        return value
    }
}

extension Int64: PostgresDecodable {
    /// Parses a decimal integer.
    public static func decode(postgresText text: String) throws -> Int64 {
        guard let value = Int64(text) else { throw failure() }
        return value
    }
}

extension Int32: PostgresDecodable {
    /// Parses a decimal integer that fits 32 bits.
    public static func decode(postgresText text: String) throws -> Int32 {
        guard let value = Int32(text) else { throw failure() }
        return value
    }
}

extension Bool: PostgresDecodable {
    /// Parses `t` or `f`.
    public static func decode(postgresText text: String) throws -> Bool {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw failure()
        }
    }
}

extension Double: PostgresDecodable {
    /// Parses float4/float8 (including `NaN`, `Infinity`) and numeric.
    public static func decode(postgresText text: String) throws -> Double {
        guard let value = Double(text) else { throw failure() }
        return value
    }
}

extension Decimal: PostgresDecodable {
    /// Parses numeric exactly (no binary floating point in between).
    public static func decode(postgresText text: String) throws -> Decimal {
        if text == "NaN" { return .nan }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { throw failure() }
        return value
    }
}

extension Date: PostgresDecodable {
    /// Parses timestamptz (and timestamp, read as UTC) in ISO style with microseconds.
    public static func decode(postgresText text: String) throws -> Date {
        guard let value = PostgresTimestamp.parse(text) else { throw failure() }
        return value
    }
}

extension Data: PostgresDecodable {
    /// Parses bytea in hex form (`\x0102…`).
    public static func decode(postgresText text: String) throws -> Data {
        guard text.hasPrefix("\\x") else { throw failure() }
        let hex = Array(text.utf8.dropFirst(2))
        guard hex.count % 2 == 0 else { throw failure() }
        var bytes = Data(capacity: hex.count / 2)
        var index = 0
        while index < hex.count {
            guard let high = hexValue(hex[index]), let low = hexValue(hex[index + 1]) else { throw failure() }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Parses a one-dimensional array literal (`{a,"b c",NULL}`); NULL elements need an
    /// optional element type.
    public static func decode(postgresText text: String) throws -> [Element] {
        guard let items = PostgresArrayLiteral.parse(text) else { throw failure(" (array literal)") }
        return try items.map { item in
            if let item { return try Element.decode(postgresText: item) }
            return try Element.decodeNull()
        }
    }
}
