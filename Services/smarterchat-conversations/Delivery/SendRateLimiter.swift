import Foundation
import Synchronization

/// Token buckets per channel (the number's or bot's throughput) and per contact (the
/// provider's pair limit), in this process. A send takes one token from each of its buckets
/// or none: when one is empty the caller learns how long to wait and postpones the delivery
/// in the database, so it holds no worker while it waits.
///
/// Replicas each keep their own buckets; with N replicas sending for one channel, set the
/// rates to 1/N of the provider's.
final class SendRateLimiter: Sendable {
    /// One bucket: `rate` tokens per second up to `burst`.
    struct Limit: Sendable, Hashable {
        var key: String
        var rate: Double
        var burst: Double
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    init() {}

    /// Takes a token from every bucket of `limits` and answers nil, or takes none and answers
    /// how long until all have one.
    func acquire(_ limits: [Limit]) -> Duration? {
        let now = clock.now
        return buckets.withLock { buckets in
            var wait: Duration = .zero
            var refilled: [String: Bucket] = [:]
            for limit in limits {
                var bucket = buckets[limit.key] ?? Bucket(tokens: limit.burst, updated: now)
                let elapsed = now - bucket.updated
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                bucket.tokens = min(limit.burst, bucket.tokens + seconds * limit.rate)
                bucket.updated = now
                if bucket.tokens < 1 {
                    wait = max(wait, .milliseconds(Int64(((1 - bucket.tokens) / limit.rate * 1000).rounded(.up))))
                }
                refilled[limit.key] = bucket
            }
            for (key, var bucket) in refilled {
                if wait == .zero { bucket.tokens -= 1 }
                buckets[key] = bucket
            }
            if buckets.count > 100_000 { buckets = refilled }
            return wait == .zero ? nil : wait
        }
    }

    /// The buckets a send through `credentials` to `recipient` takes from.
    static func limits(
        for delivery: OutboundDelivery, channelType: String, configuration: DeliveryConfiguration
    ) -> [Limit] {
        limits(
            channelID: delivery.channelID, recipient: delivery.recipient, kind: delivery.kind, channelType: channelType,
            configuration: configuration)
    }

    /// The buckets a send of `kind` through the channel to `recipient` takes from.
    static func limits(
        channelID: UUID, recipient: String, kind: String, channelType: String, configuration: DeliveryConfiguration
    ) -> [Limit] {
        let channel = "channel:\(channelID)"
        let contact = "contact:\(channelID):\(recipient)"
        func perInterval(_ interval: Duration) -> Double {
            let ms = Double(max(1, interval.milliseconds))
            return 1000 / ms
        }
        switch channelType {
        case "whatsapp":
            var limits = [
                Limit(
                    key: channel, rate: configuration.whatsAppRatePerSecond, burst: configuration.whatsAppRatePerSecond)
            ]
            // Mark-as-read is not a message to the contact: the pair limit does not apply.
            if kind != "mark_read" {
                limits.append(Limit(key: contact, rate: perInterval(configuration.whatsAppContactInterval), burst: 45))
            }
            return limits
        case "telegram":
            return [
                Limit(
                    key: channel, rate: configuration.telegramRatePerSecond, burst: configuration.telegramRatePerSecond),
                Limit(key: contact, rate: perInterval(configuration.telegramChatInterval), burst: 1),
            ]
        case "instagram":
            return [
                Limit(
                    key: channel, rate: configuration.instagramRatePerSecond,
                    burst: configuration.instagramRatePerSecond)
            ]
        default:
            return []
        }
    }
}
