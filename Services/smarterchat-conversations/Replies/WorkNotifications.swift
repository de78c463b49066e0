import Foundation
import Logging
import Postgres
import ServiceKit
import ServiceLifecycle

/// Wakes the reply and delivery workers of the other replicas when one queues work for them
/// (DESIGN §1: `LISTEN/NOTIFY` to wake workers).
///
/// A transaction that queues a reply job or a delivery asks for `NOTIFY conversations_work,
/// 'reply:<replica>'` (or `delivery:`) after its commit (``queued(_:on:)``), coalesced with the
/// same request of other transactions, so under load one statement serves many
/// (``PostgresConnection/notifyAfterCommit(schemaChannel:payload:)``). Each replica listens and
/// signals its workers on the notifications of the others; its own (which it also receives) it
/// drops, having signalled its workers directly. A notification lost while the listening
/// connection reconnects costs at most the workers' idle interval (5 s), when they look for
/// due work anyway.
final class WorkNotifications: Service, Sendable {
    /// This process among the replicas (the payload of its notifications).
    static let replica = UUID().lowercasedString
    static let channelSuffix = "_work"

    /// The work queued: which worker a notification wakes.
    enum Work: String, Sendable {
        case reply, delivery
    }

    /// Asks for the notification once the transaction of `connection` has committed.
    static func queued(_ work: Work, on connection: PostgresConnection) {
        connection.notifyAfterCommit(schemaChannel: channelSuffix, payload: "\(work.rawValue):\(replica)")
    }

    let database: PostgresClient
    let channel: String
    let replies: Wakeup
    let deliveries: Wakeup
    let logger: Logger
    /// Whose notifications are this listener's own (tests name another replica).
    let ownReplica: String

    /// Listens on `<schema>_work` and signals the workers on other replicas' notifications.
    init(
        database: PostgresClient, schema: String, replies: Wakeup, deliveries: Wakeup, logger: Logger,
        ownReplica: String = WorkNotifications.replica
    ) {
        self.database = database
        self.channel = schema + Self.channelSuffix
        self.replies = replies
        self.deliveries = deliveries
        self.logger = logger
        self.ownReplica = ownReplica
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown { await self.listen() }
    }

    /// Signals the workers for each notification of another replica, until cancelled.
    func listen(ready: (@Sendable () -> Void)? = nil) async {
        await database.listenUntilCancelled(channel: channel, logger: logger, ready: ready) { notification in
            let parts = notification.payload.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[1] != ownReplica, let work = Work(rawValue: String(parts[0])) else { return }
            switch work {
            case .reply: replies.signal()
            case .delivery: deliveries.signal()
            }
        }
    }
}
