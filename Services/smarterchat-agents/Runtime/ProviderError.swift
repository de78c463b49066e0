/// Why a provider round failed. The message is safe to store and show: it carries the HTTP
/// status and the provider's error code, never the provider's message (which can echo part of
/// the key) nor the key.
struct ProviderError: Error, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable {
        /// 429 after every try, or a retry-after longer than the service waits.
        case rateLimited = "rate_limited"
        /// 429 insufficient_quota: needs billing action, not retried.
        case quotaExceeded = "quota_exceeded"
        /// 5xx after every try.
        case unavailable
        /// No answer in time after every try.
        case timeout
        /// Connection refused or reset after every try.
        case unreachable
        /// 400/401/403/404: the request, key or model is wrong; not retried.
        case rejected
        /// 2xx whose body is not a Chat Completions response.
        case malformedResponse = "malformed_response"
        /// The provider key cannot be opened with the service's encryption keys.
        case keyUnavailable = "key_unavailable"
    }

    var kind: Kind
    var message: String
    var attempts: Int

    var description: String { "\(kind.rawValue): \(message)" }
}
