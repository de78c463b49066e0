import Configuration
import ServiceKit

/// The gateway's configuration: the shared `SMARTERCHAT_*` settings plus its HTTP listener.
struct GatewayConfiguration: Sendable {
    /// Run directory, logging, version.
    var service: ServiceConfiguration
    /// `SMARTERCHAT_HTTP_HOST`, default `127.0.0.1`.
    var host: String
    /// `SMARTERCHAT_HTTP_PORT`, default `8080`.
    var port: Int
    /// How long `/healthz` waits for each service (`SMARTERCHAT_HEALTH_TIMEOUT_MS`, 800).
    var healthTimeout: Duration
    /// Proxies whose `X-Forwarded-For` is believed (`SMARTERCHAT_TRUSTED_PROXIES`, none).
    var trustedProxies: String
    /// Provider callbacks (`POST /webhooks/...`) each channel may make per second through this
    /// gateway (`SMARTERCHAT_CALLBACK_RATE`, 1000; bursts of twice that); 429 beyond it.
    var callbackRate: Int

    init(reader: ConfigReader) {
        self.service = ServiceConfiguration(service: "gateway", reader: reader)
        let config = reader.scoped(to: "smarterchat")
        self.host = config.string(forKey: "http.host", default: "127.0.0.1")
        self.port = config.int(forKey: "http.port", default: 8080)
        self.healthTimeout = .milliseconds(config.int(forKey: "health.timeout.ms", default: 800))
        self.trustedProxies = config.string(forKey: "trusted.proxies", default: "")
        self.callbackRate = max(1, config.int(forKey: "callback.rate", default: 1000))
    }
}
