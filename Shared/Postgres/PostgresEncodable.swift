import Foundation

/// A parameter as sent to the server: its type OID and its text form (`nil` is SQL NULL).
///
/// Values are always sent as separate parameters (`$1`, `$2`, …), never spliced into SQL.
public struct PostgresBind: Sendable, Hashable, PostgresEncodable {
    /// The PostgreSQL type OID, or 0 to let the server infer the type from the SQL.
    public var typeOID: UInt32
    /// The value's text representation, or `nil` for NULL.
    public var text: String?

    /// Creates a parameter from a type OID and a text value.
    public init(typeOID: UInt32, text: String?) {
        self.typeOID = typeOID
        self.text = text
    }

    /// SQL NULL of a type the server infers from the query.
    public static let null = PostgresBind(typeOID: 0, text: nil)

    /// A `jsonb` parameter holding `value` encoded with `JSONEncoder`.
    public static func json<T: Encodable>(_ value: T, encoder: JSONEncoder = JSONEncoder()) throws -> PostgresBind {
        try PostgresJSON(encoding: value, encoder: encoder).postgresBind
    }

    /// Itself.
    public var postgresBind: PostgresBind { self }
}

/// A Swift value that can be sent as a query parameter.
public protocol PostgresEncodable: Sendable {
    /// The value as a parameter.
    var postgresBind: PostgresBind { get }
}

/// A value that can be an element of an array parameter (`text[]`, `uuid[]`, `int8[]`, …).
public protocol PostgresArrayElement: PostgresEncodable {
    /// The OID of the array type whose elements are of this type.
    static var postgresArrayTypeOID: UInt32 { get }
}

/// Well-known type OIDs (from `pg_type`).
enum PostgresOID {
    static let bool: UInt32 = 16, bytea: UInt32 = 17, int8: UInt32 = 20, int4: UInt32 = 23
    static let text: UInt32 = 25, float8: UInt32 = 701, numeric: UInt32 = 1700
    static let timestamptz: UInt32 = 1184, uuid: UInt32 = 2950, jsonb: UInt32 = 3802
    static let boolArray: UInt32 = 1000, int4Array: UInt32 = 1007, textArray: UInt32 = 1009
    static let int8Array: UInt32 = 1016, float8Array: UInt32 = 1022, uuidArray: UInt32 = 2951
    static let timestamptzArray: UInt32 = 1185, numericArray: UInt32 = 1231
}

extension String: PostgresArrayElement {
    /// A `text` parameter.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: PostgresOID.text, text: self) }
    /// `text[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.textArray }
}

extension UUID: PostgresArrayElement {
    /// A `uuid` parameter.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: PostgresOID.uuid, text: lowercasedString) }
    /// `uuid[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.uuidArray }
}

extension Int: PostgresArrayElement {
    /// An `int8` parameter.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: PostgresOID.int8, text: String(self)) }
    /// `int8[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.int8Array }
}

extension Int64: PostgresArrayElement {
    /// An `int8` parameter.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: PostgresOID.int8, text: String(self)) }
    /// `int8[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.int8Array }
}

extension Int32: PostgresArrayElement {
    /// An `int4` parameter.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: PostgresOID.int4, text: String(self)) }
    /// `int4[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.int4Array }
}

extension Bool: PostgresArrayElement {
    /// A `bool` parameter.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: PostgresOID.bool, text: self ? "t" : "f") }
    /// `bool[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.boolArray }
}

extension Double: PostgresArrayElement {
    /// A `float8` parameter.
    public var postgresBind: PostgresBind {
        let text: String
        if isNaN {
            text = "NaN"
        } else if isInfinite {
            text = self < 0 ? "-Infinity" : "Infinity"
        } else {
            text = "\(self)"
        }
        return PostgresBind(typeOID: PostgresOID.float8, text: text)
    }
    /// `float8[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.float8Array }
}

extension Decimal: PostgresArrayElement {
    /// A `numeric` parameter.
    public var postgresBind: PostgresBind {
        PostgresBind(typeOID: PostgresOID.numeric, text: isNaN ? "NaN" : "\(self)")
    }
    /// `numeric[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.numericArray }
}

extension Date: PostgresArrayElement {
    /// A `timestamptz` parameter, in UTC with microsecond precision.
    public var postgresBind: PostgresBind {
        PostgresBind(typeOID: PostgresOID.timestamptz, text: PostgresTimestamp.format(self))
    }
    /// `timestamptz[]`.
    public static var postgresArrayTypeOID: UInt32 { PostgresOID.timestamptzArray }
}

extension Data: PostgresEncodable {
    /// A `bytea` parameter in hex form.
    public var postgresBind: PostgresBind {
        PostgresBind(typeOID: PostgresOID.bytea, text: "\\x" + map { String(format: "%02x", $0) }.joined())
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// The wrapped value's parameter, or NULL of the wrapped type.
    public var postgresBind: PostgresBind {
        switch self {
        case .some(let value): return value.postgresBind
        case .none: return PostgresBind(typeOID: Self.nullTypeOID, text: nil)
        }
    }

    private static var nullTypeOID: UInt32 {
        if let element = Wrapped.self as? any PostgresArrayElement.Type {
            return element.scalarTypeOID
        }
        return 0
    }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    /// The wrapped type's array OID (arrays may hold NULL elements).
    public static var postgresArrayTypeOID: UInt32 { Wrapped.postgresArrayTypeOID }
}

extension PostgresArrayElement {
    /// The element's own type OID, found from the array OID.
    static var scalarTypeOID: UInt32 {
        switch postgresArrayTypeOID {
        case PostgresOID.textArray: return PostgresOID.text
        case PostgresOID.uuidArray: return PostgresOID.uuid
        case PostgresOID.int8Array: return PostgresOID.int8
        case PostgresOID.int4Array: return PostgresOID.int4
        case PostgresOID.boolArray: return PostgresOID.bool
        case PostgresOID.float8Array: return PostgresOID.float8
        case PostgresOID.numericArray: return PostgresOID.numeric
        case PostgresOID.timestamptzArray: return PostgresOID.timestamptz
        default: return 0
        }
    }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// A one-dimensional array parameter (`text[]`, `uuid[]`, …); `nil` elements are NULL.
    public var postgresBind: PostgresBind {
        PostgresBind(
            typeOID: Element.postgresArrayTypeOID,
            text: PostgresArrayLiteral.format(map { $0.postgresBind.text }))
    }
}
