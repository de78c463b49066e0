import Configuration
import Foundation

/// Outbound delivery settings: provider base URLs, rate limits, retries.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `SMARTERCHAT_WHATSAPP_BASE_URL` | `https://graph.facebook.com` | WhatsApp Cloud API (Graph) |
/// | `SMARTERCHAT_INSTAGRAM_BASE_URL` | `https://graph.instagram.com` | Instagram messaging API |
/// | `SMARTERCHAT_GRAPH_API_VERSION` | `v21.0` | Graph API version in both paths |
/// | `SMARTERCHAT_TELEGRAM_BASE_URL` | `https://api.telegram.org` | Telegram Bot API |
/// | `SMARTERCHAT_WHATSAPP_RATE_PER_SECOND` | `80` | sends per second per WhatsApp number |
/// | `SMARTERCHAT_WHATSAPP_CONTACT_INTERVAL_MS` | `6000` | one message per contact per interval (burst 45) |
/// | `SMARTERCHAT_TELEGRAM_RATE_PER_SECOND` | `30` | sends per second per bot |
/// | `SMARTERCHAT_TELEGRAM_CHAT_INTERVAL_MS` | `1000` | one message per chat per interval (no burst) |
/// | `SMARTERCHAT_INSTAGRAM_RATE_PER_SECOND` | `20` | sends per second per account |
/// | `SMARTERCHAT_DELIVERY_MAX_ATTEMPTS` | `6` | attempts before a retryable failure is final |
/// | `SMARTERCHAT_DELIVERY_BACKOFF_MS` | `1000` | first retry delay (doubles, with jitter, up to 5 min) |
/// | `SMARTERCHAT_DELIVERY_SENDING_LEASE_SECONDS` | `120` | a send without outcome for this long is `unknown` |
/// | `SMARTERCHAT_DELIVERY_HTTP_TIMEOUT_MS` | `15000` | one provider call |
/// | `SMARTERCHAT_DELIVERY_CONCURRENCY_PER_ORGANIZATION` | `16` | sends in flight per organization (of 64 in all) |
/// | `SMARTERCHAT_REPLY_CONCURRENCY` | `64` | reply jobs in flight per conversations process (agents caps each organization) |
struct DeliveryConfiguration: Sendable {
    var whatsAppBaseURL = "https://graph.facebook.com"
    var instagramBaseURL = "https://graph.instagram.com"
    var graphAPIVersion = "v21.0"
    var telegramBaseURL = "https://api.telegram.org"
    var whatsAppRatePerSecond = 80.0
    var whatsAppContactInterval: Duration = .milliseconds(6000)
    var telegramRatePerSecond = 30.0
    var telegramChatInterval: Duration = .milliseconds(1000)
    var instagramRatePerSecond = 20.0
    var maxAttempts = 6
    var backoff: Duration = .milliseconds(1000)
    var maximumBackoff: Duration = .seconds(300)
    var sendingLease: Duration = .seconds(120)
    var httpTimeout: Duration = .milliseconds(15000)
    /// How soon the busy worker looks again after a pass that found nothing (once idle, it
    /// sleeps until the next delivery falls due, at most 5 s: DeliveryWorker.run).
    var pollInterval: Duration = .milliseconds(250)
    /// Deliveries in flight per organization (its queue), and in all. At 4, one organization
    /// with 50 busy conversations queued its replies behind each other's sends (make bench-reply).
    var perOrganizationConcurrency = 16
    var totalConcurrency = 64
    /// Reply jobs in flight (GenerateReply calls waiting on the model) per process.
    var replyConcurrency = 64

    init() {}

    /// Reads the settings from `reader` (the process environment in `main`).
    init(reader: ConfigReader) {
        let config = reader.scoped(to: "smarterchat")
        whatsAppBaseURL = Self.trimmed(config.string(forKey: "whatsapp.base.url", default: whatsAppBaseURL))
        instagramBaseURL = Self.trimmed(config.string(forKey: "instagram.base.url", default: instagramBaseURL))
        telegramBaseURL = Self.trimmed(config.string(forKey: "telegram.base.url", default: telegramBaseURL))
        graphAPIVersion = config.string(forKey: "graph.api.version", default: graphAPIVersion)
        whatsAppRatePerSecond = Double(config.int(forKey: "whatsapp.rate.per.second", default: 80))
        whatsAppContactInterval = .milliseconds(config.int(forKey: "whatsapp.contact.interval.ms", default: 6000))
        telegramRatePerSecond = Double(config.int(forKey: "telegram.rate.per.second", default: 30))
        telegramChatInterval = .milliseconds(config.int(forKey: "telegram.chat.interval.ms", default: 1000))
        instagramRatePerSecond = Double(config.int(forKey: "instagram.rate.per.second", default: 20))
        maxAttempts = max(1, config.int(forKey: "delivery.max.attempts", default: 6))
        backoff = .milliseconds(max(1, config.int(forKey: "delivery.backoff.ms", default: 1000)))
        sendingLease = .seconds(max(1, config.int(forKey: "delivery.sending.lease.seconds", default: 120)))
        httpTimeout = .milliseconds(max(100, config.int(forKey: "delivery.http.timeout.ms", default: 15000)))
        replyConcurrency = max(1, config.int(forKey: "reply.concurrency", default: 64))
        perOrganizationConcurrency = min(
            totalConcurrency, max(1, config.int(forKey: "delivery.concurrency.per.organization", default: 16)))
    }

    private static func trimmed(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// The delay before attempt `attempts + 1` after a retryable failure: exponential from
    /// ``backoff``, capped, with jitter (50–100 %), and never shorter than the provider's
    /// Retry-After.
    func retryDelay(afterAttempts attempts: Int, retryAfter: Duration?) -> Duration {
        let exponent = min(max(attempts - 1, 0), 20)
        let base = min(backoff * (1 << exponent), maximumBackoff)
        let jittered = base * Double.random(in: 0.5...1.0)
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, .seconds(3600)))
    }
}
