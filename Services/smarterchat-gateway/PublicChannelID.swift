/// The shapes of the channel ids that public routes carry in their path, checked before a
/// request costs anything (a rate-limit bucket, a service call): anything else names no
/// channel and answers 404, as an unknown channel does.
enum PublicChannelID {
    /// A channel id as in `/webhooks/{type}/{channel_id}`: a UUID in its 36-character text form
    /// (conversations reads it with `UUID(canonicalText:)`, either case).
    static func isChannelID(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 36 else { return false }
        for (index, byte) in utf8.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard isHexDigit(byte) else { return false }
            }
        }
        return true
    }

    /// A web chat's public id as in `/webchat/{public_id}/…`: `wc_` and 24 base64url characters,
    /// the shape conversations gives it (`"wc_" + SecureRandom.token(byteCount: 18)`).
    static func isWebchatPublicID(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 27, text.hasPrefix("wc_") else { return false }
        return utf8.dropFirst(3).allSatisfy(isBase64URLDigit)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default: false
        }
    }

    private static func isBase64URLDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
