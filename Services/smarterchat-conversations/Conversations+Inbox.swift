import AsyncHTTPClient
import Cryptography
import Foundation
import Logging
import Postgres
import RPC
import ServiceKit
import ServiceLifecycle

/// The inbox, operators, replies and outbound delivery: registers the inbox handlers and
/// answers their background services (the reply worker, the delivery worker and the job
/// that returns idle human conversations to AI).
func installInboxAndDelivery(
    _ environment: DomainServiceEnvironment, delivery: DeliveryConfiguration,
    replyWakeup: Wakeup = Wakeup()
) throws
    -> [any Service]
{
    let keyRing = try environment.configuration.encryptionKeys.map { try KeyRing(configuration: $0) }
    let database = environment.database, logger = environment.logger
    let identity = environment.clients.client(for: .identity)
    let deliveryWakeup = Wakeup()
    InboxHandlers(
        database: database, identity: identity, crm: environment.clients.client(for: .crm), wakeup: deliveryWakeup,
        settings: OperatorSettingsCache(identity: identity)
    ).register(on: environment.router)
    let sender = DeliveryWorker(
        database: database, providers: ChannelProviders(configuration: delivery, http: HTTPClient.shared),
        configuration: delivery, keyRing: keyRing, state: environment.state, logger: logger, wakeup: deliveryWakeup)
    let replies = ReplyWorker(
        database: database, agents: environment.clients.client(for: .agents), identity: identity,
        state: environment.state, logger: logger, wakeup: replyWakeup,
        deliveryWakeup: deliveryWakeup, sender: sender, concurrency: delivery.replyConcurrency)
    let idle = ScheduledJob(name: "return-idle-to-ai", every: .seconds(30), state: environment.state, logger: logger) {
        try await InboxIdleReturn.run(database: database)
    }
    let notifications = WorkNotifications(
        database: database, schema: PlatformService.conversations.name, replies: replyWakeup,
        deliveries: deliveryWakeup,
        logger: logger)
    return [sender, replies, idle, notifications]
}

/// Conversations in mode human whose operator has been idle for the organization's
/// setting go back to AI, each with a timeline row and `conversation.returned_to_ai`.
enum InboxIdleReturn {
    static func run(database: PostgresClient) async throws {
        try await database.withTransaction { connection in
            for (organizationID, conversationID, minutes) in try await LifecycleStore.returnIdleToAI(on: connection) {
                try InboxTimeline.record(
                    "mode_changed", outbox: "conversation.returned_to_ai", organizationID: organizationID,
                    conversationID: conversationID, actor: .system,
                    payload: [
                        "from": .string("human"), "to": .string("ai"), "reason": .string("operator_idle"),
                        "idle_minutes": .int(minutes),
                    ], on: connection)
            }
        }
    }
}
