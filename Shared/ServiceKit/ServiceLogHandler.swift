import Foundation
import Logging
import Postgres

/// A swift-log handler writing one line per record to standard error, as text or JSON.
///
/// Every line carries the process's service name; metadata keys are dotted
/// (`rpc.method`, `request.id`). Bootstrapped once, in `main` (see ``bootstrapLogging(_:)``).
public struct ServiceLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let service: String
    private let format: LogFormat

    public init(label: String, service: String, level: Logger.Level, format: LogFormat) {
        self.label = label
        self.service = service
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.render(
            date: Date(), level: event.level, service: service, message: "\(event.message)",
            metadata: merged, format: format)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Renders one log line; separate from `log` so tests can check the format.
    static func render(
        date: Date, level: Logger.Level, service: String, message: String,
        metadata: Logger.Metadata, format: LogFormat
    ) -> String {
        let time = TimestampText.rfc3339(date)
        switch format {
        case .text:
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ([time, level.rawValue, "\(service):", message] + fields).joined(separator: " ")
        case .json:
            var object: [String: String] = ["ts": time, "level": level.rawValue, "service": service, "msg": message]
            for (key, value) in metadata { object[key] = "\(value)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

/// Installs ``ServiceLogHandler`` as the process's log handler. Call once, from `main`.
public func bootstrapLogging(_ configuration: ServiceConfiguration) {
    LoggingSystem.bootstrap { label in
        ServiceLogHandler(
            label: label, service: configuration.instance, level: configuration.logLevel,
            format: configuration.logFormat)
    }
}
