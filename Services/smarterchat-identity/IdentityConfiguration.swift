import Configuration
import Cryptography

/// The identity service's own settings, beside the shared `SMARTERCHAT_*` ones.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `SMARTERCHAT_IDENTITY_ACCESS_TOKEN_TTL_SECONDS` | `3600` | lifetime of an access token |
/// | `SMARTERCHAT_IDENTITY_REFRESH_TOKEN_TTL_SECONDS` | `2592000` (30 days) | lifetime of a refresh token |
/// | `SMARTERCHAT_IDENTITY_SCRYPT_LOG_N` | `17` | scrypt cost of new password hashes (N = 2^n, r = 8, p = 1) |
/// | `SMARTERCHAT_IDENTITY_LOCKOUT_FAILURES` | `5` | failed logins per email or address that lock it |
/// | `SMARTERCHAT_IDENTITY_LOCKOUT_WINDOW_SECONDS` | `900` | the window those failures are counted in |
struct IdentityConfiguration: Sendable {
    var accessTokenLifetime: Int64 = 3600
    var refreshTokenLifetime: Int64 = 30 * 24 * 3600
    var passwordParameters: PasswordHasher.Parameters = .owaspMinimum
    var lockoutFailures = 5
    var lockoutWindow: Int64 = 15 * 60

    init() {}

    /// Reads the settings from `reader` (the process environment in `main`).
    init(reader: ConfigReader) {
        let config = reader.scoped(to: "smarterchat").scoped(to: "identity")
        accessTokenLifetime = Int64(config.int(forKey: "access.token.ttl.seconds", default: 3600))
        refreshTokenLifetime = Int64(config.int(forKey: "refresh.token.ttl.seconds", default: 30 * 24 * 3600))
        passwordParameters = PasswordHasher.Parameters(
            logN: config.int(forKey: "scrypt.log.n", default: 17), r: 8, p: 1)
        lockoutFailures = config.int(forKey: "lockout.failures", default: 5)
        lockoutWindow = Int64(config.int(forKey: "lockout.window.seconds", default: 900))
    }
}
