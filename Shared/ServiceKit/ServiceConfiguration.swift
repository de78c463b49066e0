import Configuration
import Foundation
import Logging
import Postgres

/// What every SmarterChat process reads from its environment (`SMARTERCHAT_*`).
///
/// Built once in `main` from a `ConfigReader` scoped to `smarterchat`, then handed down.
/// Libraries never read the environment themselves.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `SMARTERCHAT_RUN_DIR` | `./.run` | where the RPC sockets live (`/run/smarterchat` in production) |
/// | `SMARTERCHAT_REPLICA` | `1` | `n` in `<service>.<n>.sock` |
/// | `SMARTERCHAT_PG_HOST` | `./.data/socket` | PostgreSQL socket directory (or host name) |
/// | `SMARTERCHAT_PG_PORT` | `5432` | PostgreSQL port |
/// | `SMARTERCHAT_PG_DATABASE` | `smarterchat` | database name |
/// | `SMARTERCHAT_PG_USER` | `smarterchat_<service>` | the service's login role |
/// | `SMARTERCHAT_PG_PASSWORD` | none | the role's password (secret) |
/// | `SMARTERCHAT_PG_POOL_SIZE` | `4` | connections per process |
/// | `SMARTERCHAT_LOG_LEVEL` | `info` | trace, debug, info, notice, warning, error, critical |
/// | `SMARTERCHAT_LOG_FORMAT` | `text` | `text` or `json` |
/// | `SMARTERCHAT_ALLOWED_UIDS` | own uid and root | uids allowed to connect to the RPC sockets |
/// | `SMARTERCHAT_ALLOWED_GIDS` | none | gids allowed to connect to the RPC sockets |
/// | `SMARTERCHAT_ENCRYPTION_KEYS` | none | `id:base64key,...`, the first is current (secret) |
public struct ServiceConfiguration: Sendable {
    /// The service's short name: `identity`, `agents`, `conversations`, `crm`, `hooks`,
    /// `analytics`, or `gateway`.
    public var service: String
    /// The directory holding every service's RPC sockets.
    public var runDirectory: String
    /// This replica's number, `n` in `<service>.<n>.sock`.
    public var replica: Int
    /// How to reach PostgreSQL, as this service's login role.
    public var database: PostgresConfiguration
    /// The minimum level logged.
    public var logLevel: Logger.Level
    /// How log lines are written.
    public var logFormat: LogFormat
    /// uids allowed to connect to this process's RPC socket (empty: own uid and root).
    public var allowedUIDs: [UInt32]
    /// gids allowed to connect to this process's RPC socket.
    public var allowedGIDs: [UInt32]
    /// AES-256-GCM keys for secrets at rest, `id:base64key,...` (first is current).
    public var encryptionKeys: String?
    /// The build's version string, reported by `Health`.
    public var version: String

    /// Reads the configuration of `service` from `reader` (scoped to `smarterchat` here).
    public init(service: String, reader: ConfigReader) {
        let config = reader.scoped(to: "smarterchat")
        self.service = service
        self.runDirectory =
            URL(fileURLWithPath: config.string(forKey: "run.dir", default: "./.run"))
            .standardizedFileURL.path
        self.replica = config.int(forKey: "replica", default: 1)
        let host = config.string(forKey: "pg.host", default: "./.data/socket")
        self.database = PostgresConfiguration(
            endpoint: host.hasPrefix("/") || host.hasPrefix(".")
                ? .unixSocket(directory: URL(fileURLWithPath: host).standardizedFileURL.path) : .tcp(host: host),
            port: config.int(forKey: "pg.port", default: 5432),
            database: config.string(forKey: "pg.database", default: "smarterchat"),
            user: config.string(forKey: "pg.user", default: "smarterchat_\(service)"),
            password: config.string(forKey: "pg.password", isSecret: true),
            poolSize: config.int(forKey: "pg.pool.size", default: Self.defaultPoolSize(of: service)),
            applicationName: "smarterchat-\(service)"
        )
        self.logLevel = Logger.Level(rawValue: config.string(forKey: "log.level", default: "info")) ?? .info
        self.logFormat = LogFormat(rawValue: config.string(forKey: "log.format", default: "text")) ?? .text
        self.allowedUIDs = Self.ids(config.string(forKey: "allowed.uids"))
        self.allowedGIDs = Self.ids(config.string(forKey: "allowed.gids"))
        self.encryptionKeys = config.string(forKey: "encryption.keys", isSecret: true)
        self.version = SmarterChatVersion.current
    }

    /// Connections per process when `SMARTERCHAT_PG_POOL_SIZE` is not set: conversations runs
    /// ingest, a window of 8 reply jobs, the delivery senders and its outbox relay at once (with
    /// 4 connections its replies waited for a free one: the reply benchmark's apply step went
    /// from p99 78 ms to 15 ms with 12), agents leases one per reply; the others stay at 4.
    public static func defaultPoolSize(of service: String) -> Int {
        switch service {
        case "conversations": 16
        case "agents": 8
        default: 4
        }
    }

    /// The path of this replica's RPC socket: `<runDir>/<service>.<replica>.sock`.
    public var socketPath: String { "\(runDirectory)/\(service).\(replica).sock" }

    /// The instance name reported by `Health`, e.g. `identity.1`.
    public var instance: String { "\(service).\(replica)" }

    private static func ids(_ text: String?) -> [UInt32] {
        (text ?? "").split(separator: ",").compactMap { UInt32($0.trimmingCharacters(in: .whitespaces)) }
    }
}

/// How log lines are written to standard error.
public enum LogFormat: String, Sendable {
    /// `2026-11-26T10:00:00.000Z info identity: message key=value`
    case text
    /// One JSON object per line.
    case json
}

/// The platform's version string.
public enum SmarterChatVersion {
    /// Reported by every service's `Health` and by `smarterchatctl --version`.
    public static let current = "0.1.0"
}
