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
///
/// With several replicas of a service, one at a time delivers to each subscriber: a batch is
/// fetched, sent and marked inside one transaction that holds an advisory lock named after
/// the outbox and the subscriber (``OutboxStore/claimDelivery(to:source:on:)``); a replica
/// that finds it taken waits for the next notification or poll. The lock ends with the
/// transaction (commit, rollback, or the replica's connection closing when it dies), so
/// another replica takes over at its next look, and batches never overlap: without it every
/// replica sent every event (the subscribers skipped the copies, but the work grew with the
/// replicas).
public final class OutboxRelay: Service, Sendable {
    private let source: String
    private let database: PostgresClient
    private let subscriberCaller: @Sendable (PlatformService) -> any RPCCaller
    private let subscribers: [OutboxSubscriber]
    private let state: ServiceState
    private let logger: Logger
    private let batchSize: Int
    private let idlePoll: Duration
    private let gather: Duration
    private let wakeups: [Wakeup]

    /// A relay for `source`'s outbox (the table `outbox` of its schema).
    public convenience init(
        source: String, database: PostgresClient, clients: ServiceClients,
        subscribers: [OutboxSubscriber] = OutboxSubscriber.platformDefault, state: ServiceState, logger: Logger,
        batchSize: Int = 100, idlePoll: Duration = .seconds(2), gather: Duration = .milliseconds(10)
    ) {
        self.init(
            source: source, database: database, subscriberCaller: { clients.client(for: $0) },
            subscribers: subscribers, state: state, logger: logger, batchSize: batchSize, idlePoll: idlePoll,
            gather: gather)
    }

    /// A relay that reaches each subscriber through `subscriberCaller` (tests: in-process fakes).
    init(
        source: String, database: PostgresClient,
        subscriberCaller: @escaping @Sendable (PlatformService) -> any RPCCaller,
        subscribers: [OutboxSubscriber], state: ServiceState, logger: Logger, batchSize: Int = 100,
        idlePoll: Duration = .seconds(2), gather: Duration = .milliseconds(10)
    ) {
        self.source = source
        self.database = database
        self.subscriberCaller = subscriberCaller
        self.subscribers = subscribers
        self.state = state
        self.logger = logger
        self.batchSize = batchSize
        self.idlePoll = idlePoll
        self.gather = gather
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
        await database.listenUntilCancelled(channel: "\(source)_outbox", logger: logger) { _ in
            for wakeup in wakeups { wakeup.signal() }
        }
    }

    private func deliverLoop(to subscriber: OutboxSubscriber, wakeup: Wakeup) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let delivered = try await deliverBatch(to: subscriber)
                failures = 0
                if delivered < batchSize {
                    await wakeup.wait(timeout: idlePoll)
                    // Events committed in the next few milliseconds go in the same batch: under
                    // a steady stream each notification would otherwise carry one or two.
                    if gather > .zero { try await Task.sleep(for: gather) }
                }
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

    /// Sends the next batch to `subscriber`; answers how many events it carried (none as well
    /// while another replica is delivering to it).
    ///
    /// The transaction stays open while the subscriber is called (a pooled connection, idle in
    /// transaction for the call's milliseconds; up to its 10 s timeout when the subscriber
    /// hangs): that is what keeps the claim, and a failed call rolls back and frees it.
    func deliverBatch(to subscriber: OutboxSubscriber) async throws -> Int {
        let name = subscriber.service.name
        let caller = subscriberCaller(subscriber.service)
        let (source, batchSize) = (self.source, self.batchSize)
        return try await database.withTransaction { connection in
            guard try await OutboxStore.claimDelivery(to: name, source: source, on: connection) else { return 0 }
            let events = try await OutboxStore.pending(
                for: name, excluding: subscriber.excludedTypes, limit: batchSize, source: source, on: connection)
            guard !events.isEmpty else { return 0 }
            _ = try await caller.call(
                subscriber.method, Common.ConsumeEventsRequest(events: events),
                metadata: CallMetadata(requestID: "outbox-\(source)-\(events[0].sequence)", caller: source),
                timeout: .seconds(10))
            try await OutboxStore.markDelivered(events.map(\.id), to: name, on: connection)
            return events.count
        }
    }

    private func purgeLoop() async {
        while !Task.isCancelled {
            do {
                let purged = try await database.withConnection { try await OutboxStore.purge(olderThanDays: 7, on: $0) }
                if purged > 0 { logger.info("purged old outbox events", metadata: ["outbox.purged": "\(purged)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("outbox purge failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}

extension DomainServiceEnvironment {
    /// The relay of this service's outbox to `subscribers` (DESIGN §4); return it from the
    /// service's install closure so it runs with the service.
    /// The service's relay to `subscribers`, with its backlog gauges: events not yet delivered
    /// (`smarterchat_outbox_pending_events{subscriber}`) and the age of the oldest
    /// (`smarterchat_outbox_oldest_pending_seconds{subscriber}`).
    public func outboxRelay(subscribers: [OutboxSubscriber] = OutboxSubscriber.platformDefault) -> OutboxRelay {
        for subscriber in subscribers {
            // As the relay's own query: the name written into the text, for the partial index.
            let predicate = OutboxStore.pendingPredicate(for: subscriber)
            backlog.add(
                name: "outbox_pending_events",
                help: "Events of this service's outbox not yet delivered to a subscriber.",
                labels: [("subscriber", subscriber.service.name)],
                sql: BacklogGauges.countSQL("outbox", where: predicate))
            backlog.add(
                name: "outbox_oldest_pending_seconds",
                help: "How long the oldest event not yet delivered to a subscriber has waited.",
                labels: [("subscriber", subscriber.service.name)],
                sql: BacklogGauges.ageSQL("outbox", timestamp: "occurred_at", where: predicate, order: "sequence"))
        }
        return OutboxRelay(
            source: configuration.service, database: database, clients: clients, subscribers: subscribers,
            state: state, logger: logger)
    }
}
