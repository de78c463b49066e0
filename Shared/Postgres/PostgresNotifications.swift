import Foundation
import Logging
import Synchronization

/// One `NOTIFY` received on a channel the client listens to.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload (empty when none was given).
    public var payload: String
    /// The server process id of the sender's session.
    public var senderPID: Int

    /// Creates a notification value.
    public init(channel: String, payload: String, senderPID: Int) {
        self.channel = channel
        self.payload = payload
        self.senderPID = senderPID
    }
}

/// Notifications of one channel, received on a dedicated connection with its own thread.
///
/// The connection closes when iteration ends (the task is cancelled or the loop breaks).
/// If the connection breaks it is reopened with backoff and `LISTEN` is issued again;
/// notifications sent while it was down are lost, so a worker woken by them should also
/// look for due work when it starts and now and then.
public struct PostgresNotifications: AsyncSequence, Sendable {
    /// Each element is one notification.
    public typealias Element = PostgresNotification
    let stream: AsyncThrowingStream<PostgresNotification, any Error>

    /// The iterator.
    public func makeAsyncIterator() -> AsyncThrowingStream<PostgresNotification, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}

extension PostgresClient {
    /// Listens to `channel`; returns once `LISTEN` is active on the server, so a `NOTIFY`
    /// sent after this returns is delivered.
    public func notifications(channel: String, logger: Logger? = nil) async throws -> PostgresNotifications {
        let logger = logger ?? self.logger
        let configuration = self.configuration
        let worker = BlockingWorker.start(name: "postgres-listen")
        let connection: LibPQConnection
        do {
            connection = try await worker.run { try Self.openListener(configuration, channel: channel) }
        } catch {
            worker.stop()
            throw error
        }
        let stopped = ListenerStopFlag()
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: PostgresNotification.self)
        continuation.onTermination = { _ in stopped.flag.store(true, ordering: .relaxed) }
        worker.submit {
            Self.listen(
                on: connection, channel: channel, configuration: configuration, stopped: stopped,
                continuation: continuation, logger: logger)
            worker.stop()
        }
        return PostgresNotifications(stream: stream)
    }

    private static func openListener(_ configuration: PostgresConfiguration, channel: String) throws -> LibPQConnection
    {
        let connection = try LibPQConnection.connect(configuration)
        _ = try connection.execute("LISTEN " + connection.quoteIdentifier(channel), [])
        return connection
    }

    /// The listening loop; runs on the listener's own thread until the stream ends.
    private static func listen(
        on first: LibPQConnection, channel: String, configuration: PostgresConfiguration,
        stopped: ListenerStopFlag, continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation,
        logger: Logger
    ) {
        var connection: LibPQConnection? = first
        var delay = configuration.initialReconnectDelay
        while !stopped.flag.load(ordering: .relaxed) {
            guard let current = connection else {
                Self.sleep(delay, unless: stopped)
                delay = min(delay * 2, configuration.maximumReconnectDelay)
                connection = try? openListener(configuration, channel: channel)
                if connection != nil {
                    logger.debug("listening connection restored", metadata: ["db.channel": "\(channel)"])
                }
                continue
            }
            var descriptor = pollfd(fd: current.socket, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 100)
            do {
                for notification in try current.drainNotifications() { continuation.yield(notification) }
                delay = configuration.initialReconnectDelay
            } catch {
                logger.debug("listening connection lost; reconnecting", metadata: ["db.channel": "\(channel)"])
                current.close()
                connection = nil
            }
        }
        connection?.close()
        continuation.finish()
    }

    private static func sleep(_ duration: Duration, unless stopped: ListenerStopFlag) {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline && !stopped.flag.load(ordering: .relaxed) {
            usleep(20_000)
        }
    }
}

/// Set when the notification stream terminates, read by the listener thread.
final class ListenerStopFlag: Sendable {
    let flag = Atomic<Bool>(false)
}
