import Access
import Contracts
import Foundation
import Postgres
import RPC

/// AddLeadActivity, GetLeadTimeline: notes, calls, emails and meetings, and a lead's history.
extension CRMHandlers {
    /// Records a note, call, email or meeting by the caller (leads:write).
    func addLeadActivity(
        _ request: CRM.AddLeadActivityRequest, _ context: RPCContext
    ) async throws -> CRM.AddLeadActivityResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsWrite)
        let leadID = try Self.leadID(request.leadId)
        guard LeadActivityStore.manualTypes.contains(request.type) else {
            throw RPCError(.invalidArgument, "type must be one of call, email, meeting, note")
        }
        let title = try LeadInput.text(request.title, "title")
        let description = try LeadInput.text(request.description, "description", limit: 10_000)
        guard !title.isEmpty || !description.isEmpty else {
            throw RPCError(.invalidArgument, "an activity needs a title or a description")
        }
        let metadata = try LeadInput.jsonObject(request.metadataJson, "metadata")
        let activity = try await database.withTransaction { connection in
            _ = try Self.requireLead(
                try await LeadStore.find(id: leadID, organizationID: caller.organizationID, on: connection))
            return try await LeadActivityStore.append(
                leadID: leadID, userID: caller.userID, type: request.type, title: title, description: description,
                metadata: PostgresJSON(text: metadata), on: connection)
        }
        return CRM.AddLeadActivityResponse(activity: activity)
    }

    /// The lead's latest activities (1...500, 100 by default) and its conversations (leads:read).
    func getLeadTimeline(
        _ request: CRM.GetLeadTimelineRequest, _ context: RPCContext
    ) async throws -> CRM.GetLeadTimelineResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsRead)
        let leadID = try Self.leadID(request.leadId)
        let limit = request.limit == 0 ? 100 : Int(request.limit)
        guard (1...500).contains(limit) else { throw RPCError(.invalidArgument, "limit must be between 1 and 500") }
        return try await database.withConnection { connection in
            _ = try Self.requireLead(
                try await LeadStore.find(id: leadID, organizationID: caller.organizationID, on: connection))
            return CRM.GetLeadTimelineResponse(
                activities: try await LeadActivityStore.timeline(leadID: leadID, limit: limit, on: connection),
                conversationIds: try await LeadStore.conversationIDs(leadID: leadID, on: connection))
        }
    }
}
