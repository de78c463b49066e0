import Cryptography
import Foundation
import Logging
import Postgres
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Sends queued outbound messages (AI replies, operators' messages, mark-as-read) through
/// the channels' APIs.
///
/// Each pass claims due deliveries fairly across organizations (a few of each, `FOR UPDATE
/// SKIP LOCKED`), checks the rate limits, records the send intent (`sending`) and commits;
/// then calls the provider outside any transaction and records the outcome. Crash safety
/// and the reconciliation of unknown outcomes: docs/delivery.md.
final class DeliveryWorker: Service, Sendable {
    let database: PostgresClient
    let providers: ChannelProviders
    let limiter: SendRateLimiter
    let configuration: DeliveryConfiguration
    let keyRing: KeyRing?
    /// nil in tests, which drive the worker by hand.
    let state: ServiceState?
    let logger: Logger
    let wakeup: Wakeup
    /// Sends only this organization's deliveries (tests, which share one database); nil: all.
    let organization: UUID?
    /// How often the worker reconciles sends whose outcome is unknown (``expireUnknown``), and
    /// so the longest it sleeps when idle.
    static let expiryInterval: Duration = .seconds(5)
    /// Deliveries in flight per organization: its queue's share of the workers.
    private let inFlight = Mutex<[UUID: Int]>([:])

    init(
        database: PostgresClient, providers: ChannelProviders, limiter: SendRateLimiter = SendRateLimiter(),
        configuration: DeliveryConfiguration, keyRing: KeyRing?, state: ServiceState?, logger: Logger,
        wakeup: Wakeup, organization: UUID? = nil
    ) {
        self.database = database
        self.providers = providers
        self.limiter = limiter
        self.configuration = configuration
        self.keyRing = keyRing
        self.state = state
        self.logger = logger
        self.wakeup = wakeup
        self.organization = organization
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await self.state?.waitUntilMigrated()
            await withDiscardingTaskGroup { group in
                var lastExpiry = ContinuousClock.now - .seconds(3600)
                // Whether the last wait ran out with nothing signalled.
                var idle = true
                while !Task.isCancelled {
                    if ContinuousClock.now - lastExpiry >= Self.expiryInterval {
                        await self.expireUnknown(organizationID: self.organization)
                        lastExpiry = .now
                    }
                    let claimed: [(OutboundDelivery, ChannelCredentials)]
                    do {
                        claimed = try await self.claim(organizationID: self.organization)
                    } catch {
                        self.logger.warning("delivery claim failed", metadata: ["error": "\(error)"])
                        claimed = []
                    }
                    for (delivery, credentials) in claimed {
                        group.addTask { await self.deliver(delivery, credentials: credentials) }
                    }
                    // Busy: again in 20 ms after a pass that sent, at the poll interval after one
                    // that found nothing. Idle (the last wait ran out and nothing was found):
                    // until the next delivery falls due or the next reconciliation.
                    var timeout = claimed.isEmpty ? self.configuration.pollInterval : .milliseconds(20)
                    if idle && claimed.isEmpty {
                        let untilExpiry = Self.expiryInterval - (ContinuousClock.now - lastExpiry)
                        timeout = max(min(await self.idleTimeout(), untilExpiry), .milliseconds(1))
                    }
                    idle = await !self.wakeup.wait(timeout: timeout)
                }
            }
        }
    }

    /// How long the worker sleeps after finding nothing while idle (``Wakeup/idleTimeout``).
    private func idleTimeout() async -> Duration {
        let organization = self.organization
        return await Wakeup.idleTimeout(
            database: database, logger: logger, poll: configuration.pollInterval, minimum: .milliseconds(20),
            maximum: Self.expiryInterval
        ) { try await DeliveryStore.untilNextDue(organizationID: organization, on: $0) }
    }

    /// One pass, waiting for its sends to finish; answers how many were sent (tests drive the
    /// worker with it, each for its own organization).
    @discardableResult
    func runOnce(organizationID: UUID? = nil) async throws -> Int {
        let claimed = try await claim(organizationID: organizationID)
        await withTaskGroup(of: Void.self) { group in
            for (delivery, credentials) in claimed {
                group.addTask { await self.deliver(delivery, credentials: credentials) }
            }
        }
        return claimed.count
    }

    /// One pass: due deliveries whose organization has room, checked and marked `sending`.
    func claim(organizationID: UUID? = nil) async throws -> [(OutboundDelivery, ChannelCredentials)] {
        // Organizations given a slot in this pass; all are released if the transaction fails
        // (even at COMMIT), else all but those of the deliveries handed to senders.
        var reserved: [UUID] = []
        let ready: [(OutboundDelivery, ChannelCredentials)]
        do {
            ready = try await database.withTransaction { connection in
                var ready: [(OutboundDelivery, ChannelCredentials)] = []
                var channels: [UUID: ChannelCredentials?] = [:]
                let due = try await DeliveryStore.claimDue(
                    perOrganization: configuration.perOrganizationConcurrency, total: configuration.totalConcurrency,
                    organizationID: organizationID, on: connection)
                for delivery in due {
                    guard reserve(delivery.organizationID) else { continue }
                    reserved.append(delivery.organizationID)
                    let credentials: ChannelCredentials?
                    do {
                        if let known = channels[delivery.channelID] {
                            credentials = known
                        } else {
                            credentials = try await ChannelCredentials.load(
                                delivery.channelID, keyRing: keyRing, on: connection)
                            channels[delivery.channelID] = credentials
                        }
                    } catch {
                        try await record(
                            delivery, .failed(reason: "the channel's credentials cannot be read"), on: connection)
                        continue
                    }
                    guard let credentials, !credentials.deleted else {
                        try await record(delivery, .failed(reason: "the channel was removed"), on: connection)
                        continue
                    }
                    if credentials.status == "error" {
                        let reason = "the channel is in error: \(credentials.errorMessage ?? "unknown")"
                        try await record(delivery, .failed(reason: reason), on: connection)
                        continue
                    }
                    if credentials.type == "webchat" {
                        try await record(delivery, .sent(externalID: nil), on: connection)
                        continue
                    }
                    let limits = SendRateLimiter.limits(
                        for: delivery, channelType: credentials.type, configuration: configuration)
                    if let wait = limiter.acquire(limits) {
                        try await DeliveryStore.postpone(delivery.id, by: wait, error: nil, on: connection)
                        continue
                    }
                    guard try await DeliveryStore.markSending(delivery.id, on: connection) else { continue }
                    ready.append((delivery, credentials))
                }
                return ready
            }
        } catch {
            for organization in reserved { release(organization) }
            throw error
        }
        var toRelease = reserved
        for (delivery, _) in ready {
            if let index = toRelease.firstIndex(of: delivery.organizationID) { toRelease.remove(at: index) }
        }
        for organization in toRelease { release(organization) }
        return ready
    }

    /// A delivery the transaction that queued it held for this process: sent by
    /// ``send(_:)`` once that transaction committed, or given back with ``abandon(_:)`` when it
    /// did not.
    struct Claimed: Sendable {
        var delivery: OutboundDelivery
        var credentials: ChannelCredentials
    }

    /// The send straight after commit of a message this process queues (an AI reply): when
    /// the channel can send now (it opens, it is not in error, it is not web chat), the
    /// organization has a free slot and the rate limits a token, the slot and the tokens are
    /// taken and the credentials answered; the caller then queues the delivery with
    /// `DeliveryStore.enqueue(sendingNow: true)`, which holds it for this process. Once that
    /// transaction commits, ``send(_:)`` records the intent and sends, without a pass of the
    /// queue (a wake-up and a claim fewer on a reply's path). nil: queued as usual.
    func reserveImmediateSend(kind: String, recipient: String, in state: LockedConversation) -> ChannelCredentials? {
        guard !state.channelDeleted, state.channelStatus != "error", state.channelType != "webchat",
            let credentials = try? ChannelCredentials.opening(state, keyRing: keyRing)
        else { return nil }
        guard reserve(state.organizationID) else { return nil }
        let limits = SendRateLimiter.limits(
            channelID: state.channelID, recipient: recipient, kind: kind, channelType: state.channelType,
            configuration: configuration)
        guard limiter.acquire(limits) == nil else {
            release(state.organizationID)
            return nil
        }
        return credentials
    }

    /// Sends a delivery its transaction held for this process, once that transaction
    /// committed: the send intent is committed first (`sending`), as for any claimed
    /// delivery, so a crash before it leaves a pending row that is sent once after the hold,
    /// and a crash after it an `unknown` one, never a second send.
    func send(_ claimed: Claimed) async {
        let marked: Bool
        do {
            marked = try await database.withConnection { connection in
                try await DeliveryStore.markSending(claimed.delivery.id, on: connection)
            }
        } catch {
            // Still pending: the delivery worker takes it once the hold passes.
            logger.warning(
                "recording a send intent failed; the delivery goes out after its hold",
                metadata: ["delivery.id": "\(claimed.delivery.id)", "error": "\(error)"])
            abandon(organizationID: claimed.delivery.organizationID)
            return
        }
        guard marked else { return abandon(organizationID: claimed.delivery.organizationID) }
        await deliver(claimed.delivery, credentials: claimed.credentials)
    }

    /// Gives back the slot of ``reserveImmediateSend(kind:recipient:in:)`` when the delivery
    /// was queued `pending` after all, or its transaction did not commit (a row left
    /// `sending` by a commit whose outcome is unknown becomes `unknown` after the lease).
    func abandon(organizationID: UUID) {
        release(organizationID)
        wakeup.signal()
    }

    /// Calls the provider for one delivery already marked `sending`, then records the outcome.
    func deliver(_ delivery: OutboundDelivery, credentials: ChannelCredentials) async {
        defer {
            release(delivery.organizationID)
            wakeup.signal()
        }
        let outcome = await providers.send(Self.request(delivery, credentials: credentials), credentials: credentials)
        for attempt in 1...5 {
            do {
                try await database.withTransaction { connection in
                    try await record(delivery, outcome, on: connection)
                }
                return
            } catch {
                // Left in `sending`, the row becomes `unknown` after the lease: retry the record
                // a few times first, since the outcome is known here.
                logger.warning(
                    "recording a delivery outcome failed",
                    metadata: ["delivery.id": "\(delivery.id)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    /// The provider request for a delivery row.
    static func request(_ delivery: OutboundDelivery, credentials: ChannelCredentials) -> ProviderRequest {
        let body = delivery.body
        var request = ProviderRequest(kind: delivery.kind, recipient: delivery.recipient)
        request.text = body["text"] as? String
        request.externalMessageID = body["external_message_id"] as? String
        request.humanAgentTag = body["human_agent_tag"] as? Bool ?? false
        if delivery.kind == "template" {
            request.template = (
                body["name"] as? String ?? "", body["language"] as? String ?? "",
                body["parameters"] as? [String] ?? []
            )
        }
        return request
    }

    /// Writes `outcome` for `delivery` (queue row, message, timeline, outbox, channel status).
    func record(_ delivery: OutboundDelivery, _ outcome: SendOutcome, on connection: PostgresConnection) async throws {
        let attempts = delivery.attempts + 1
        switch outcome {
        case .sent(let externalID):
            DeliveryStore.markSent(delivery, externalID: externalID, on: connection)
            try await messageEvent(delivery, "message.sent", status: "sent", error: nil, on: connection)
        case .retry(let after, let reason) where attempts < configuration.maxAttempts:
            let delay = configuration.retryDelay(afterAttempts: attempts, retryAfter: after)
            try await DeliveryStore.postpone(delivery.id, by: delay, error: reason, on: connection)
        case .retry(_, let reason), .failed(let reason):
            try await DeliveryStore.markFinal(delivery, status: "failed", error: reason, on: connection)
            try await messageEvent(delivery, "message.failed", status: "failed", error: reason, on: connection)
        case .unauthorized(let reason):
            let message = "the provider refused the channel's credentials: \(reason)"
            try await ChannelCredentials.markError(
                delivery.channelID, organizationID: delivery.organizationID, message: message, on: connection)
            try await DeliveryStore.markFinal(delivery, status: "failed", error: message, on: connection)
            try await messageEvent(delivery, "message.failed", status: "failed", error: message, on: connection)
        case .unknown(let reason):
            let message = "delivery outcome unknown (\(reason)); not sent again automatically"
            try await DeliveryStore.markFinal(delivery, status: "unknown", error: message, on: connection)
            try await messageEvent(delivery, "message.failed", status: "unknown", error: message, on: connection)
        }
    }

    /// The timeline row and outbox event of a message's delivery outcome.
    private func messageEvent(
        _ delivery: OutboundDelivery, _ type: String, status: String, error: String?, on connection: PostgresConnection
    ) async throws {
        guard let messageID = delivery.messageID else { return }
        var payload: [String: TimelineValue] = [
            "message_id": .string(messageID.lowercasedString), "status": .string(status),
            "channel_id": .string(delivery.channelID.lowercasedString), "direction": .string("outbound"),
        ]
        if let error { payload["error"] = .string(error) }
        try InboxTimeline.record(
            status == "unknown" ? "message.delivery_unknown" : type, outbox: type,
            organizationID: delivery.organizationID, conversationID: delivery.conversationID, actor: .system,
            payload: payload, on: connection)
    }

    /// Sends that recorded their intent longer than the lease ago and never their outcome
    /// (the process died during the provider call) become `unknown`.
    func expireUnknown(organizationID: UUID? = nil) async {
        do {
            try await database.withTransaction { connection in
                let expired = try await DeliveryStore.expireSending(
                    lease: configuration.sendingLease, organizationID: organizationID, on: connection)
                for delivery in expired {
                    try await record(
                        delivery, .unknown(reason: "the sender stopped during the provider call"), on: connection)
                }
            }
        } catch {
            logger.warning("expiring unknown deliveries failed", metadata: ["error": "\(error)"])
        }
    }

    /// Sends of the organization in flight in this process (its slots taken).
    func sendsInFlight(of organization: UUID) -> Int {
        inFlight.withLock { $0[organization, default: 0] }
    }

    private func reserve(_ organization: UUID) -> Bool {
        inFlight.withLock { counts in
            let count = counts[organization, default: 0]
            guard count < configuration.perOrganizationConcurrency else { return false }
            counts[organization] = count + 1
            return true
        }
    }

    private func release(_ organization: UUID) {
        inFlight.withLock { counts in
            let count = counts[organization, default: 0] - 1
            counts[organization] = count > 0 ? count : nil
        }
    }
}
