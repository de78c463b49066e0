import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ChangeLeadStatus, AssignLead: moving a lead through the pipeline and handing it to a
/// user, each with an activity naming who did it and an event.
extension CRMHandlers {
    /// Any status may follow any other. converted_at is set on entering `converted` and
    /// cleared on leaving it, lost_at likewise for `lost` (a lost lead that comes back has no
    /// lost_at; converting it again restamps converted_at). Asking for the current status
    /// changes nothing and records nothing.
    func changeLeadStatus(
        _ request: CRM.ChangeLeadStatusRequest, _ context: RPCContext
    ) async throws -> CRM.ChangeLeadStatusResponse {
        // The operator through the gateway, or a service (agents' intent handlers) for an
        // organization it names, recorded with its actor.
        let organizationID: UUID
        let userID: UUID?
        var actor: String?
        if context.metadata.caller == "gateway" || request.organizationId.isEmpty {
            let caller = try AuthenticatedCaller(context)
            try caller.require(.leadsWrite)
            organizationID = caller.organizationID
            userID = caller.userID
        } else {
            organizationID = try Self.serviceOrganization(context, request.organizationId)
            userID = nil
            actor = try LeadInput.text(request.actor, "actor", limit: 100)
        }
        let leadID = try Self.leadID(request.leadId)
        let status = try LeadInput.status(request.status)
        let reason = try LeadInput.text(request.reason, "reason", limit: 2000)
        let lead = try await database.withTransaction { connection in
            let current = try Self.requireLead(
                try await LeadStore.find(id: leadID, organizationID: organizationID, forUpdate: true, on: connection))
            guard current.status != status else { return current }
            let lead = try await LeadStore.setStatus(
                id: leadID, organizationID: organizationID, status: status, on: connection)
            var metadata = ["from": current.status, "to": status]
            if let actor { metadata["actor"] = actor }
            try await LeadActivityStore.append(
                leadID: leadID, userID: userID, type: "status_change",
                title: "Status \(current.status) → \(status)", description: reason,
                metadata: try PostgresJSON(encoding: metadata), on: connection)
            var event = LeadEvent(lead, userID: userID)
            event.actor = actor
            event.previousStatus = current.status
            try await event.append("lead.status_changed", organizationID: organizationID, on: connection)
            return lead
        }
        return CRM.ChangeLeadStatusResponse(lead: lead)
    }

    /// Assigns the lead to an active user of the organization, reassigns it, or unassigns it
    /// (empty user_id); assigning it to its current assignee changes nothing.
    func assignLead(_ request: CRM.AssignLeadRequest, _ context: RPCContext) async throws -> CRM.AssignLeadResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsWrite)
        let leadID = try Self.leadID(request.leadId)
        let assignee = try LeadInput.userID(request.userId, "user_id")
        if let assignee { try await requireAssignable(assignee, caller, context) }
        let lead = try await database.withTransaction { connection in
            let current = try Self.requireLead(
                try await LeadStore.find(
                    id: leadID, organizationID: caller.organizationID, forUpdate: true, on: connection))
            let target = assignee?.lowercasedString ?? ""
            guard current.assignedToUserId != target else { return current }
            let lead = try await LeadStore.assign(
                id: leadID, organizationID: caller.organizationID, userID: assignee, on: connection)
            try await LeadActivityStore.append(
                leadID: leadID, userID: caller.userID, type: "assignment",
                title: target.isEmpty ? "Unassigned" : (current.assignedToUserId.isEmpty ? "Assigned" : "Reassigned"),
                metadata: try PostgresJSON(encoding: ["from": current.assignedToUserId, "to": target]),
                on: connection)
            var event = LeadEvent(lead, userID: caller.userID)
            event.previousAssignee = current.assignedToUserId
            try await event.append("lead.assigned", organizationID: caller.organizationID, on: connection)
            return lead
        }
        return CRM.AssignLeadResponse(lead: lead)
    }
}
