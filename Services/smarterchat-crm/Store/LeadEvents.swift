import Contracts
import Foundation
import Postgres
import ServiceKit

/// The events crm appends to its outbox (DESIGN §4), aggregate `lead`: `lead.created`,
/// `lead.updated`, `lead.status_changed`, `lead.assigned`, `lead.deleted`, `lead.merged`.
///
/// The payload carries the lead as it is after the change (the contract's JSON form), who
/// did it (`user_id`, or `actor` for a platform service) and what changed.
struct LeadEvent: Encodable, Sendable {
    var lead: CRM.Lead
    var userID: String?
    var actor: String?
    var previousStatus: String?
    var previousAssignee: String?
    var changedFields: [String]?
    var survivorID: String?
    var mergedID: String?

    enum CodingKeys: String, CodingKey {
        case lead
        case userID = "user_id"
        case actor
        case previousStatus = "previous_status"
        case previousAssignee = "previous_assigned_to_user_id"
        case changedFields = "changed_fields"
        case survivorID = "survivor_id"
        case mergedID = "merged_id"
    }

    init(_ lead: CRM.Lead, userID: UUID? = nil, actor: String? = nil) {
        self.lead = lead
        self.userID = userID?.lowercasedString
        self.actor = actor.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Appends `type` with this payload to the outbox, in the caller's transaction.
    func append(_ type: String, organizationID: UUID, on connection: PostgresConnection) async throws {
        try await Outbox.append(
            Outbox.Event(
                type: type, organizationID: organizationID, aggregateType: "lead",
                aggregateID: UUID(canonicalText: lead.id)!, payload: self),
            on: connection)
    }
}
