import Cryptography
import Foundation
import Logging
import Postgres
import RPC
import ServiceKit
import ServiceLifecycle

/// Channels, callbacks, web chat, the live feed and retention: registers their handlers and
/// answers their background services (the event listener and the retention job).
func installChannelsAndIngest(
    _ environment: DomainServiceEnvironment, replyWakeup: Wakeup? = nil
) throws -> [any Service] {
    let keyRing = try environment.configuration.encryptionKeys.map { try KeyRing(configuration: $0) }
    let database = environment.database, logger = environment.logger
    let signal = EventSignal(database: database, state: environment.state, logger: logger)
    let ingest = InboundIngest(
        database: database, crm: environment.clients.client(for: .crm),
        planLimits: PlanLimitCache(identity: environment.clients.client(for: .identity), logger: logger),
        logger: logger, replyWakeup: replyWakeup)
    let retention = RetentionSettingsRecorder(identity: environment.clients.client(for: .identity), database: database)
    let callbackChannels = CallbackChannels()
    ChannelHandlers(
        database: database, keyRing: keyRing, agents: environment.clients.client(for: .agents), logger: logger,
        retention: retention, callbackChannels: callbackChannels
    ).register(on: environment.router)
    WebhookHandlers(database: database, keyRing: keyRing, ingest: ingest, logger: logger, channels: callbackChannels)
        .register(on: environment.router)
    WebchatHandlers(database: database, ingest: ingest, signal: signal, channels: callbackChannels).register(
        on: environment.router)
    LiveFeedHandlers(database: database, signal: signal, retention: retention).register(on: environment.router)
    let retentionJob = ScheduledJob(
        name: "conversations-retention", every: .seconds(3600), state: environment.state, logger: logger
    ) {
        // Every organization's setting as identity has it now; the copies kept otherwise.
        await retention.refreshAll()
        let outcome = try await database.withConnection { try await ConversationRetention.run(on: $0) }
        if outcome != ConversationRetention.Outcome() {
            logger.info(
                "retention applied",
                metadata: [
                    "retention.partitions": "\(outcome.droppedPartitions)",
                    "retention.messages": "\(outcome.deletedMessages)",
                    "retention.events": "\(outcome.deletedEvents)",
                    "retention.deliveries": "\(outcome.deletedDeliveries)",
                    "retention.reply_jobs": "\(outcome.deletedJobs)",
                    "retention.archived": "\(outcome.archivedConversations)",
                ])
        }
    }
    // What the workers have yet to do, for the platform team to scale conversations on.
    environment.backlog.addDueWork(
        name: "reply_jobs", what: "AI reply jobs", table: "reply_jobs", dueAt: "run_after",
        where: "status = 'pending'")
    environment.backlog.addDueWork(
        name: "deliveries", what: "outbound messages to send to a channel", table: "outbound_deliveries",
        dueAt: "next_attempt_at", where: "status = 'pending'")
    // The outbox (message.received, conversation.created, ...) goes to hooks and analytics.
    return [signal, retentionJob, environment.outboxRelay()]
}
