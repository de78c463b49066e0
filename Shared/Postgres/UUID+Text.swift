import Foundation

/// UUIDs as text without Foundation's `uuid_parse`/`uuid_unparse` (`sscanf` and `sprintf`
/// per call on Linux, about a microsecond each): a page of 50 conversations decodes and
/// writes some 500 of them, on the connection's thread, in the request's time.
extension UUID {
    /// The canonical lower-case form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (what
    /// PostgreSQL prints and the contracts carry); equal to `uuidString.lowercased()`.
    public var lowercasedString: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                digits.withUTF8Buffer { hex in
                    var o = 0
                    for (index, byte) in bytes.enumerated() {
                        if index == 4 || index == 6 || index == 8 || index == 10 {
                            out[o] = UInt8(ascii: "-")
                            o += 1
                        }
                        out[o] = hex[Int(byte >> 4)]
                        out[o + 1] = hex[Int(byte & 0x0F)]
                        o += 2
                    }
                }
                return 36
            }
        }
    }

    /// Parses the canonical form, in either case; nil for anything else (as
    /// `UUID(uuidString:)`, which takes the same inputs).
    public init?(canonicalText text: String) {
        var text = text
        let parsed: uuid_t? = text.withUTF8 { utf8 -> uuid_t? in
            guard utf8.count == 36 else { return nil }
            var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let ok = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
                var i = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        guard utf8[i] == UInt8(ascii: "-") else { return false }
                        i += 1
                    }
                    guard let high = Self.nibble(utf8[i]), let low = Self.nibble(utf8[i + 1]) else { return false }
                    out[index] = high << 4 | low
                    i += 2
                }
                return true
            }
            return ok ? bytes : nil
        }
        guard let parsed else { return nil }
        self.init(uuid: parsed)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
