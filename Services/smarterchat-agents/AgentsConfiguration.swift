import Configuration

/// The agents service's own settings, beside the shared `SMARTERCHAT_*` ones.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `SMARTERCHAT_AGENTS_DEFAULT_MODEL` | `gpt-4.1-mini` | model of agents that name none (the seed's `gpt-4-turbo-preview` is retired) |
/// | `SMARTERCHAT_AGENTS_PROVIDER_BASE_URL` | `https://api.openai.com/v1` | Chat Completions base URL of agents that name none |
/// | `SMARTERCHAT_AGENTS_PROVIDER_TIMEOUT_MS` | `30000` | one provider request |
/// | `SMARTERCHAT_AGENTS_PROVIDER_MAX_ATTEMPTS` | `3` | tries per provider round (429, 5xx, timeouts, connection errors) |
/// | `SMARTERCHAT_AGENTS_PROVIDER_BACKOFF_MS` | `500` | first backoff, doubled per retry with jitter |
/// | `SMARTERCHAT_AGENTS_PROVIDER_MAX_BACKOFF_MS` | `8000` | the longest wait between tries, retry-after included |
/// | `SMARTERCHAT_AGENTS_CONCURRENCY_PER_ORGANIZATION` | `8` | provider requests in flight per organization |
/// | `SMARTERCHAT_AGENTS_PROVIDER_CONNECTIONS_PER_HOST` | `128` | HTTP/1.1 connections to one provider host |
/// | `SMARTERCHAT_AGENTS_HISTORY_MAX_TOKENS` | `16000` | cap of the history budget, whatever the model's context |
/// | `SMARTERCHAT_AGENTS_DEFAULT_CONTEXT_WINDOW` | `8192` | context window of a model the service does not know |
/// | `SMARTERCHAT_AGENTS_MAX_TOOL_ROUNDS` | `4` | provider rounds per reply while the model calls tools |
/// | `SMARTERCHAT_AGENTS_PREVIEW_TIMEOUT_MS` | `8000` | the whole of a preview's provider rounds (the console waits for it) |
/// | `SMARTERCHAT_AGENTS_ALLOW_PRIVATE_PROVIDER_URLS` | `false` | let agents name loopback/private hosts as base URL (development) |
/// | `SMARTERCHAT_AGENTS_REPLY_CACHE_MS` | `1000` | how long a replica reuses an agent's row and scripts for replies (0: read them every reply) |
struct AgentsConfiguration: Sendable {
    var defaultModel = "gpt-4.1-mini"
    var defaultBaseURL = "https://api.openai.com/v1"
    var provider = ProviderSettings()
    var concurrencyPerOrganization = 8
    var providerConnectionsPerHost = 128
    var historyMaxTokens = 16_000
    var defaultContextWindow = 8192
    var maxToolRounds = 4
    var allowPrivateProviderURLs = false
    var previewTimeout: Duration = .seconds(8)
    var replyCacheTTL: Duration = .seconds(1)

    init() {}

    /// Reads the settings from `reader` (the process environment in `main`).
    init(reader: ConfigReader) {
        let config = reader.scoped(to: "smarterchat").scoped(to: "agents")
        defaultModel = config.string(forKey: "default.model", default: defaultModel)
        defaultBaseURL = config.string(forKey: "provider.base.url", default: defaultBaseURL)
        provider.timeout = .milliseconds(config.int(forKey: "provider.timeout.ms", default: 30_000))
        provider.maxAttempts = max(1, config.int(forKey: "provider.max.attempts", default: 3))
        provider.backoff = .milliseconds(config.int(forKey: "provider.backoff.ms", default: 500))
        provider.maxBackoff = .milliseconds(config.int(forKey: "provider.max.backoff.ms", default: 8000))
        concurrencyPerOrganization = max(1, config.int(forKey: "concurrency.per.organization", default: 8))
        providerConnectionsPerHost = config.int(forKey: "provider.connections.per.host", default: 128)
        historyMaxTokens = config.int(forKey: "history.max.tokens", default: historyMaxTokens)
        defaultContextWindow = config.int(forKey: "default.context.window", default: defaultContextWindow)
        maxToolRounds = max(1, config.int(forKey: "max.tool.rounds", default: maxToolRounds))
        previewTimeout = .milliseconds(config.int(forKey: "preview.timeout.ms", default: 8000))
        allowPrivateProviderURLs = config.bool(forKey: "allow.private.provider.urls", default: false)
        replyCacheTTL = .milliseconds(max(0, config.int(forKey: "reply.cache.ms", default: 1000)))
    }
}

/// How the service talks to a Chat Completions provider.
struct ProviderSettings: Sendable {
    /// One HTTP request, connect to last byte.
    var timeout: Duration = .seconds(30)
    /// Tries per round, the first included.
    var maxAttempts = 3
    /// The first backoff; doubled per retry, with up to 25 % jitter.
    var backoff: Duration = .milliseconds(500)
    /// The longest wait between tries; a longer retry-after fails the round instead.
    var maxBackoff: Duration = .seconds(8)
}
