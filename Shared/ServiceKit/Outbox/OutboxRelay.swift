import Contracts
import Foundation
import Logging
import Postgres
import RPC
import ServiceLifecycle

/// Delivers a service's outbox to its subscribers over RPC (DESIGN §4), as a `Service`.
///
/// One loop per subscriber, so a subscriber that is down never delays the others. Each loop
/// sends the events not yet delivered to it, oldest first (in order per aggregate), in
/// batches, and records the delivery only after the subscriber answered OK: delivery is at
/// least once and subscribers deduplicate by event id. A failed batch is retried with
/// backoff (up to 30 s). The relay wakes on the outbox's `NOTIFY` (sent by
/// ``Outbox/append(_:on:)`` at commit) and also looks every few seconds, since
/// notifications sent while the listening connection reconnects are lost. Events older than
/// the retention (7 days) are purged whether or not delivered.
public final class OutboxRelay: Service, Sendable {
    private let source: String
    private let database: PostgresClient
    private let clients: ServiceClients
    private let subscribers: [OutboxSubscriber]
    private let state: ServiceState
    private let logger: Logger
    private let batchSize: Int
    private let idlePoll: Duration
    private let wakeups: [Wakeup]

    /// A relay for `source`'s outbox (the table `outbox` of its schema).
    public init(
        source: String, database: PostgresClient, clients: ServiceClients,
        subscribers: [OutboxSubscriber] = OutboxSubscriber.platformDefault, state: ServiceState, logger: Logger,
        batchSize: Int = 100, idlePoll: Duration = .seconds(2)
    ) {
        self.source = source
        self.database = database
        self.clients = clients
        self.subscribers = subscribers
        self.state = state
        self.logger = logger
        self.batchSize = batchSize
        self.idlePoll = idlePoll
        self.wakeups = subscribers.map { _ in Wakeup() }
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await self.state.waitUntilMigrated()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listen() }
                for (index, subscriber) in self.subscribers.enumerated() {
                    group.addTask { await self.deliverLoop(to: subscriber, wakeup: self.wakeups[index]) }
                }
                group.addTask { await self.purgeLoop() }
                await group.waitForAll()
            }
        }
    }

    /// Wakes every loop on each notification of the outbox channel.
    private func listen() async {
        while !Task.isCancelled {
            do {
                let channel = "\(source)_outbox"
                for try await _ in try await database.notifications(channel: channel, logger: logger) {
                    for wakeup in wakeups { wakeup.signal() }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.debug("outbox listener failed; polling meanwhile", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func deliverLoop(to subscriber: OutboxSubscriber, wakeup: Wakeup) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let delivered = try await deliverBatch(to: subscriber)
                failures = 0
                if delivered < batchSize { await wakeup.wait(timeout: idlePoll) }
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let delay = min(30.0, 0.25 * pow(2.0, Double(min(failures, 8))))
                if failures == 1 || failures % 20 == 0 {
                    logger.info(
                        "outbox delivery failed; retrying",
                        metadata: [
                            "outbox.subscriber": "\(subscriber.service.name)", "error": "\(error)",
                            "outbox.failures": "\(failures)",
                        ])
                }
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
        }
    }

    /// Sends the next batch to `subscriber`; answers how many events it carried.
    func deliverBatch(to subscriber: OutboxSubscriber) async throws -> Int {
        let name = subscriber.service.name
        let events = try await database.withConnection { connection in
            try await OutboxStore.pending(
                for: name, excluding: subscriber.excludedTypes, limit: batchSize, source: source, on: connection)
        }
        guard !events.isEmpty else { return 0 }
        _ = try await clients.client(for: subscriber.service).call(
            subscriber.method, Common.ConsumeEventsRequest(events: events),
            metadata: CallMetadata(requestID: "outbox-\(source)-\(events[0].sequence)", caller: source),
            timeout: .seconds(10))
        try await database.withConnection { connection in
            try await OutboxStore.markDelivered(events.map(\.id), to: name, on: connection)
        }
        return events.count
    }

    private func purgeLoop() async {
        while !Task.isCancelled {
            do {
                let purged = try await database.withConnection { try await OutboxStore.purge(olderThanDays: 7, on: $0) }
                if purged > 0 { logger.info("purged old outbox events", metadata: ["outbox.purged": "\(purged)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.debug("outbox purge failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}

extension DomainServiceEnvironment {
    /// The relay of this service's outbox to `subscribers` (DESIGN §4); return it from the
    /// service's install closure so it runs with the service.
    public func outboxRelay(subscribers: [OutboxSubscriber] = OutboxSubscriber.platformDefault) -> OutboxRelay {
        OutboxRelay(
            source: configuration.service, database: database, clients: clients, subscribers: subscribers,
            state: state, logger: logger)
    }
}
