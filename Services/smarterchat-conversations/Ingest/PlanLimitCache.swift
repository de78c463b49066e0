import Contracts
import Foundation
import Logging
import Postgres
import RPC
import Synchronization

/// Organizations' max_conversations_per_month from identity's `GetPlanLimits` (a service
/// call), kept for a minute so a burst of new conversations asks once.
final class PlanLimitCache: Sendable {
    private let identity: (any RPCCaller)?
    private let lifetime: Duration
    private let logger: Logger
    private let entries = Mutex<[UUID: (limit: Int, fetched: ContinuousClock.Instant)]>([:])

    init(identity: (any RPCCaller)?, lifetime: Duration = .seconds(60), logger: Logger) {
        self.identity = identity
        self.lifetime = lifetime
        self.logger = logger
    }

    /// The limit (0: none); nil when identity cannot say (the conversation is then not flagged).
    func maxConversationsPerMonth(organizationID: UUID) async -> Int? {
        let now = ContinuousClock.now
        if let cached = entries.withLock({ $0[organizationID] }), now - cached.fetched < lifetime {
            return cached.limit
        }
        guard let identity else { return nil }
        do {
            let limits = try await identity.call(
                Identity.Service.getPlanLimits,
                Identity.GetPlanLimitsRequest(organizationId: organizationID.lowercasedString),
                metadata: CallMetadata(caller: "conversations"), timeout: .seconds(3))
            let limit = Int(limits.maxConversationsPerMonth)
            entries.withLock { $0[organizationID] = (limit, now) }
            return limit
        } catch {
            logger.notice("plan limits unavailable", metadata: ["organization.id": "\(organizationID)"])
            return nil
        }
    }
}
