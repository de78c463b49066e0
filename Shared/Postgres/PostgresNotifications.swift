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
        let stopped = ListenerStop()
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: PostgresNotification.self)
        continuation.onTermination = { _ in stopped.stop() }
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
        stopped: ListenerStop, continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation,
        logger: Logger
    ) {
        var connection: LibPQConnection? = first
        var delay = configuration.initialReconnectDelay
        while !stopped.isStopped {
            guard let current = connection else {
                stopped.wait(readable: nil, upTo: delay)
                delay = min(delay * 2, configuration.maximumReconnectDelay)
                connection = try? openListener(configuration, channel: channel)
                if connection != nil {
                    logger.debug("listening connection restored", metadata: ["db.channel": "\(channel)"])
                }
                continue
            }
            stopped.wait(readable: current.socket, upTo: nil)
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
}

/// The end of a listener: set when the notification stream terminates, and a pipe that
/// wakes the listener thread out of its wait at once. The thread sleeps in `poll` until the
/// socket has something, the stream ends or a reconnect delay passes: an idle listener costs
/// no wake-ups (it used to look every 100 ms, ten wake-ups a second per listener).
final class ListenerStop: Sendable {
    private let flag = Atomic<Bool>(false)
    /// The pipe's ends; -1 when no pipe could be made: the waits then look every 100 ms.
    private let descriptor: Int32
    private let writer: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, O_NONBLOCK)
            }
        }
        descriptor = ends[0]
        writer = ends[1]
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if writer >= 0 { close(writer) }
    }

    var isStopped: Bool { flag.load(ordering: .acquiring) }

    /// Ends the listener's waits, now and later.
    func stop() {
        flag.store(true, ordering: .releasing)
        guard writer >= 0 else { return }
        var one: UInt8 = 1
        _ = write(writer, &one, 1)
    }

    /// Returns when `readable` (a socket) has input or hung up, when stopped, or after
    /// `duration` (nil: no limit).
    func wait(readable socket: Int32?, upTo duration: Duration?) {
        guard !isStopped else { return }
        var descriptors = [pollfd]()
        if let socket { descriptors.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        var timeout: Int32 = -1
        if let duration {
            let (seconds, attoseconds) = duration.components
            timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        }
        if descriptor >= 0 {
            descriptors.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0))
        } else if timeout < 0 || timeout > 100 {
            timeout = 100
        }
        _ = poll(&descriptors, nfds_t(descriptors.count), timeout)
    }
}
