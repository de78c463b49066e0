/// Base32 as RFC 4648 §6 defines it (alphabet `A–Z2–7`), the form TOTP secrets are shown in.
///
/// `encode` writes upper case without `=` padding (the form otpauth URIs use); `decode`
/// accepts upper or lower case, ignores spaces, hyphens and `=` padding, and rejects any other
/// character or an impossible length.
public enum Base32 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes bytes as unpadded upper-case base32.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1F)])
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Encodes bytes as upper-case base32 padded with `=` to a multiple of 8 characters.
    public static func encodePadded(_ bytes: some Sequence<UInt8>) -> String {
        let unpadded = encode(bytes)
        let remainder = unpadded.utf8.count % 8
        return remainder == 0 ? unpadded : unpadded + String(repeating: "=", count: 8 - remainder)
    }

    /// Decodes base32 text, case-insensitively, tolerating spaces, hyphens and padding.
    ///
    /// - Throws: `CryptographyError` with code `invalidEncoding` for a character outside the
    ///   alphabet, a length no byte string encodes to, or non-zero trailing bits.
    public static func decode(_ text: String) throws(CryptographyError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        var symbols = 0
        var sawPadding = false
        for character in text.utf8 {
            switch character {
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "\t"):
                continue
            case UInt8(ascii: "="):
                sawPadding = true
                continue
            default:
                break
            }
            guard !sawPadding, let value = value(of: character) else {
                throw CryptographyError(.invalidEncoding, "text is not valid base32")
            }
            symbols += 1
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        // 1, 3 and 6 symbols in the last group of 8 cannot come from whole bytes.
        guard ![1, 3, 6].contains(symbols % 8), buffer == 0 else {
            throw CryptographyError(.invalidEncoding, "text is not valid base32")
        }
        return output
    }

    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): character - UInt8(ascii: "2") + 26
        default: nil
        }
    }
}
