import Foundation

/// A `json`/`jsonb` value kept as its raw JSON text, decodable into any `Decodable`.
///
/// As a parameter it is sent as `jsonb`. Read it with `row.decode(PostgresJSON.self, …)`
/// and then ``decode(_:decoder:)``, or directly with `row.decodeJSON(_:…)`.
public struct PostgresJSON: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    /// The JSON text as the server stores it.
    public var text: String

    /// Wraps JSON text as it is (it is validated by the server when sent).
    public init(text: String) {
        self.text = text
    }

    /// Encodes `value` to JSON text.
    public init<T: Encodable>(encoding value: T, encoder: JSONEncoder = JSONEncoder()) throws {
        let data = try encoder.encode(value)
        self.text = String(decoding: data, as: UTF8.self)
    }

    /// The raw JSON bytes (UTF-8).
    public var bytes: Data { Data(text.utf8) }

    /// Decodes the JSON into `type`; a mismatch throws ``PostgresError/Code/decodingFailed``.
    public func decode<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(type, from: bytes)
        } catch {
            throw PostgresError(code: .decodingFailed, message: "JSON column does not decode as \(T.self)")
        }
    }

    /// A `jsonb` parameter.
    public var postgresBind: PostgresBind { PostgresBind(typeOID: PostgresOID.jsonb, text: text) }

    /// The column's JSON text.
    public static func decode(postgresText text: String) throws -> PostgresJSON { PostgresJSON(text: text) }
}
