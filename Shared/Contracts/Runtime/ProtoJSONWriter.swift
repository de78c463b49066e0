import Foundation

/// A message that writes its JSON form directly (generated for every contract message whose
/// map fields, if any, have string keys): the same bytes Foundation's `JSONEncoder` with
/// `.sortedKeys` writes from its `Codable` conformance, without building an intermediate
/// value tree first. The gateway answers with it (encoding a response was 15 % of its CPU
/// on `GET /api/v1/me`).
public protocol ProtoJSONWritable {
    /// Appends the message as a JSON object.
    func writeJSON(to writer: inout ProtoJSONWriter)
}

extension ProtoJSONWritable {
    /// The message's JSON bytes.
    public var jsonBytes: [UInt8] {
        var writer = ProtoJSONWriter()
        writeJSON(to: &writer)
        return writer.bytes
    }
}

/// Appends JSON text the way Foundation's `JSONEncoder` (default strategies) writes it:
/// `/` escaped as `\/`, control characters as `\b \f \n \r \t` or `\u00xx`, floating-point
/// numbers in their shortest form without a trailing `.0`, data as base64.
public struct ProtoJSONWriter {
    /// What was written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() { bytes.reserveCapacity(512) }

    /// `{`; `comma` tracks whether a member was written.
    public mutating func beginObject(_ comma: inout Bool) {
        bytes.append(UInt8(ascii: "{"))
        comma = false
    }

    /// `}`.
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")) }

    /// A member's key (a proto field name: plain ASCII, written as is) and the colon.
    public mutating func key(_ name: StaticString, _ comma: inout Bool) {
        if comma { bytes.append(UInt8(ascii: ",")) }
        comma = true
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A member's key given as a string (map keys), escaped, and the colon.
    public mutating func key(_ name: String, _ comma: inout Bool) {
        if comma { bytes.append(UInt8(ascii: ",")) }
        comma = true
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// An array of `values`, each written by `element`.
    public mutating func array<T>(_ values: [T], _ element: (inout ProtoJSONWriter, T) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            element(&self, value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// An object of a string-keyed map, keys in byte order (as `.sortedKeys` sorts them).
    public mutating func map<T>(_ values: [String: T], _ element: (inout ProtoJSONWriter, T) -> Void) {
        var comma = false
        beginObject(&comma)
        for key in values.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            self.key(key, &comma)
            element(&self, values[key]!)
        }
        endObject()
    }

    /// A message value.
    public mutating func message(_ value: some ProtoJSONWritable) { value.writeJSON(to: &self) }

    /// `true` / `false`.
    public mutating func bool(_ value: Bool) {
        value ? append("true") : append("false")
    }

    /// An integer.
    public mutating func integer(_ value: some BinaryInteger) { append(String(value)) }

    /// A floating-point number (`null` when not finite; `JSONEncoder` would refuse it).
    public mutating func number(_ value: Double) { floating(value.isFinite, value.description) }

    /// A floating-point number (`null` when not finite; `JSONEncoder` would refuse it).
    public mutating func number(_ value: Float) { floating(value.isFinite, value.description) }

    private mutating func floating(_ finite: Bool, _ description: String) {
        guard finite else { return append("null") }
        append(description.hasSuffix(".0") ? String(description.dropLast(2)) : description)
    }

    /// Bytes as a base64 string.
    public mutating func data(_ value: Data) { string(value.base64EncodedString()) }

    /// An enum: its declared name, or its number when unrecognized.
    public mutating func enumeration(name: String?, number: Int32) {
        if let name { string(name) } else { integer(number) }
    }

    /// A string, quoted and escaped.
    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() {
                let escape: [UInt8]?
                switch byte {
                case UInt8(ascii: "\""): escape = [0x5C, 0x22]
                case UInt8(ascii: "\\"): escape = [0x5C, 0x5C]
                case UInt8(ascii: "/"): escape = [0x5C, 0x2F]
                case 0x08: escape = [0x5C, UInt8(ascii: "b")]
                case 0x0C: escape = [0x5C, UInt8(ascii: "f")]
                case 0x0A: escape = [0x5C, UInt8(ascii: "n")]
                case 0x0D: escape = [0x5C, UInt8(ascii: "r")]
                case 0x09: escape = [0x5C, UInt8(ascii: "t")]
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    escape = [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                default: escape = nil
                }
                guard let escape else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                bytes.append(contentsOf: escape)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
}
