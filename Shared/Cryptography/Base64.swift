/// Base64 (RFC 4648 §4) and base64url (§5) without Foundation, for sealed values, salts,
/// hashes and tokens.
public enum Base64 {
    private static let standard: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes bytes as standard base64; `padded: false` drops the `=` padding.
    public static func encode(_ bytes: some Collection<UInt8>, padded: Bool = true) -> String {
        encode(Array(bytes), alphabet: standard, padded: padded)
    }

    /// Encodes bytes as unpadded base64url, safe in URLs, cookies and file names.
    public static func encodeURL(_ bytes: some Collection<UInt8>) -> String {
        encode(Array(bytes), alphabet: url, padded: false)
    }

    /// Decodes standard base64 or base64url, with or without padding.
    ///
    /// - Throws: `CryptographyError` with code `invalidEncoding` for any other character,
    ///   misplaced padding or an impossible length.
    public static func decode(_ text: String) throws(CryptographyError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        var symbols = 0
        var padding = 0
        for character in text.utf8 {
            if character == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let value = value(of: character) else {
                throw CryptographyError(.invalidEncoding, "text is not valid base64")
            }
            symbols += 1
            buffer = (buffer << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        let paddedLengthOK = padding == 0 || (symbols + padding) % 4 == 0
        guard symbols % 4 != 1, padding <= 2, paddedLengthOK, buffer == 0 else {
            throw CryptographyError(.invalidEncoding, "text is not valid base64")
        }
        return output
    }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], padded: Bool) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in stride(from: 18, through: 0, by: -6) {
                output.append(alphabet[Int((group >> UInt32(shift)) & 0x3F)])
            }
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            var group = UInt32(bytes[index]) << 16
            if remaining == 2 { group |= UInt32(bytes[index + 1]) << 8 }
            output.append(alphabet[Int((group >> 18) & 0x3F)])
            output.append(alphabet[Int((group >> 12) & 0x3F)])
            if remaining == 2 { output.append(alphabet[Int((group >> 6) & 0x3F)]) }
            if padded { output.append(contentsOf: Array(repeating: UInt8(ascii: "="), count: 3 - remaining)) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
