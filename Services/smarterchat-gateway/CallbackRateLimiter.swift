import HTTPTypes
import Prometheus
import Synchronization

/// A token bucket per key (a channel id, a web chat, a client address) in this gateway
/// process: `perSecond` sustained, `burst` at once; beyond it 429 with Retry-After.
///
/// Memory is bounded without ever scanning the buckets: they live in two generations. A key is
/// looked up in the current one, else in the previous one (and moved to the current one). When
/// the current generation holds `capacity` keys, or a minute has passed since it began, it
/// becomes the previous one and the old previous one is dropped whole. So at most
/// `2 × capacity` buckets are kept, each call costs O(1) (dropping a generation is amortised
/// over the calls that filled it), and a key is forgotten only after a full generation without
/// a call: after a minute idle its bucket would be full again anyway, and a flood of new keys
/// that pushes it out early resets only that key's bucket, at the cost of `capacity` requests.
final class CallbackRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct Generations {
        var current: [String: Bucket] = [:]
        var previous: [String: Bucket] = [:]
        var began: ContinuousClock.Instant
    }

    private let perSecond: Double
    private let burst: Double
    private let capacity: Int
    private let generationAge: Duration
    private let state: Mutex<Generations>
    /// Counts this limiter's refusals (``HTTPMetrics/rateLimited(_:)``), when given.
    private let refusals: Prometheus.Counter?

    /// - Parameters:
    ///   - perSecond: tokens added per second to each key's bucket.
    ///   - burst: the bucket's size (calls admitted at once).
    ///   - capacity: keys per generation (at most twice as many are kept).
    ///   - generationAge: how long a generation lasts at most (a key idle for two is forgotten).
    ///   - refusals: counts each 429 this limiter answers.
    init(
        perSecond: Double, burst: Double, capacity: Int = 10_000, generationAge: Duration = .seconds(60),
        refusals: Prometheus.Counter? = nil
    ) {
        self.perSecond = perSecond
        self.burst = burst
        self.capacity = max(1, capacity)
        self.generationAge = generationAge
        self.state = Mutex(Generations(began: .now))
        self.refusals = refusals
    }

    /// Takes a token from `key`'s bucket; throws 429 `rate_limited` with `Retry-After` when empty.
    func admit(_ key: String) throws {
        guard update(key, { $0.tokens >= 1 ? -1 : 0 }) >= 1 else { throw refusal() }
    }

    /// Throws 429 like ``admit(_:)`` when `key`'s bucket is empty, without taking a token.
    /// A key without a bucket has a full one, and is not given one.
    func requireTokens(_ key: String) throws {
        let now = ContinuousClock.now
        let tokens = state.withLock { state -> Double in
            guard let bucket = state.current[key] ?? state.previous[key] else { return burst }
            return refilled(bucket, now: now)
        }
        guard tokens >= 1 else { throw refusal() }
    }

    /// Takes a token from `key`'s bucket if it has one, and never refuses: for charging an
    /// outcome (a rejected callback) after the fact.
    func spend(_ key: String) {
        _ = update(key, { $0.tokens >= 1 ? -1 : 0 })
    }

    /// Gives back a token that ``admit(_:)`` took (the bucket stays at most full).
    func refund(_ key: String) {
        _ = update(key, { _ in 1 })
    }

    /// Refills `key`'s bucket for the time since its last use, adds `change(bucket)` tokens
    /// (capped at `burst`) and answers the tokens it had before the change.
    private func update(_ key: String, _ change: (Bucket) -> Double) -> Double {
        let now = ContinuousClock.now
        return state.withLock { state -> Double in
            if state.current.count >= capacity || now - state.began >= generationAge {
                state.previous = state.current
                state.current = [:]
                state.current.reserveCapacity(capacity)
                state.began = now
            }
            var bucket =
                state.current[key] ?? state.previous.removeValue(forKey: key) ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            let before = bucket.tokens
            bucket.tokens = min(burst, before + change(bucket))
            state.current[key] = bucket
            return before
        }
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(burst, bucket.tokens + seconds * perSecond)
    }

    private func refusal() -> APIError {
        refusals?.increment()
        var error = APIError(status: .tooManyRequests, code: "rate_limited", message: "too many requests")
        error.headers[.retryAfter] = "1"
        return error
    }

    /// How many keys have a bucket now (at most twice the capacity).
    var trackedKeys: Int { state.withLock { $0.current.count + $0.previous.count } }
}
