import Cryptography
import Foundation

/// Checks that a callback comes from the channel's provider, in constant time:
/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>` for WhatsApp and
/// Instagram, `X-Telegram-Bot-Api-Secret-Token` equal to the channel's secret token for
/// Telegram. A missing secret on the channel fails every check.
enum CallbackAuthenticator {
    static func isAuthentic(
        type: String, rawBody: some Collection<UInt8>, signature: String, secretToken: String,
        appSecret: String?, channelSecretToken: String?
    ) -> Bool {
        switch type {
        case "whatsapp", "instagram":
            guard let appSecret, !appSecret.isEmpty else { return false }
            let trimmed = signature.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix("sha256="),
                let received = try? Hex.decode(String(trimmed.dropFirst(7)).lowercased()), received.count == 32
            else { return false }
            let expected = Digest.hmac(.sha256, key: Array(appSecret.utf8), message: rawBody)
            return ConstantTime.equals(expected, received)
        case "telegram":
            guard let channelSecretToken, !channelSecretToken.isEmpty, !secretToken.isEmpty else { return false }
            return ConstantTime.equals(
                Digest.sha256(Array(secretToken.utf8)), Digest.sha256(Array(channelSecretToken.utf8)))
        default:
            return false
        }
    }
}
