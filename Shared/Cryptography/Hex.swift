/// Lower-case hexadecimal, the form webhook signatures (`sha256=<hex>`) and test vectors use.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lower-case hex.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes hex text (either case).
    ///
    /// - Throws: `CryptographyError` with code `invalidEncoding` for an odd length or a
    ///   character that is not a hex digit.
    public static func decode(_ text: String) throws(CryptographyError) -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else {
            throw CryptographyError(.invalidEncoding, "text is not valid hex")
        }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = value(of: characters[index]), let low = value(of: characters[index + 1]) else {
                throw CryptographyError(.invalidEncoding, "text is not valid hex")
            }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
