import Access
import Contracts
import Foundation
import Postgres
import RPC

/// MergeLeads: the same person found twice.
extension CRMHandlers {
    /// Merges `merged_id` into `survivor_id` (leads:manage), in one transaction: activities
    /// and conversations move to the survivor; the survivor keeps its fields and takes the
    /// duplicate's where its own are empty (tags are united, custom fields merged with the
    /// survivor's winning, interactions added); the duplicate is soft-deleted pointing at the
    /// survivor (merged_into_id). A `merge` activity and `lead.merged` (survivor_id,
    /// merged_id) record it, so conversations can repoint their lead_id.
    func mergeLeads(_ request: CRM.MergeLeadsRequest, _ context: RPCContext) async throws -> CRM.MergeLeadsResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsManage)
        let survivorID = try Self.leadID(request.survivorId)
        let mergedID = try Self.leadID(request.mergedId)
        guard survivorID != mergedID else {
            throw RPCError(.invalidArgument, "survivor_id and merged_id must be different leads")
        }
        let organizationID = caller.organizationID
        let lead = try await database.withTransaction { connection in
            // Lock in id order so two opposite merges cannot deadlock.
            var locked: [UUID: CRM.Lead] = [:]
            for id in [survivorID, mergedID].sorted(by: { $0.uuidString < $1.uuidString }) {
                locked[id] = try Self.requireLead(
                    try await LeadStore.find(id: id, organizationID: organizationID, forUpdate: true, on: connection))
            }
            var survivor = locked[survivorID]!
            let merged = locked[mergedID]!
            let moved = try await LeadActivityStore.move(from: mergedID, to: survivorID, on: connection)
            try await LeadMergeStore.moveConversations(from: mergedID, to: survivorID, on: connection)
            try await LeadMergeStore.absorbCounters(from: mergedID, into: survivorID, on: connection)
            // Free the duplicate's contact keys before the survivor may take them.
            _ = try await LeadStore.softDelete(
                id: mergedID, organizationID: organizationID, mergedInto: survivorID, on: connection)
            let fields: [WritableKeyPath<CRM.Lead, String>] = [
                \.name, \.email, \.phone, \.company, \.position, \.interest, \.notes, \.segment, \.channelId,
            ]
            for field in fields where survivor[keyPath: field].isEmpty {
                survivor[keyPath: field] = merged[keyPath: field]
            }
            if survivor.platformUserId.isEmpty, survivor.source == merged.source {
                survivor.platformUserId = merged.platformUserId
            }
            survivor.tags = Array((survivor.tags + merged.tags.filter { !survivor.tags.contains($0) }).prefix(50))
            let customFields = try await connection.query(
                "SELECT ($1::jsonb || $2::jsonb)::text AS merged",
                [PostgresJSON(text: merged.customFieldsJson), PostgresJSON(text: survivor.customFieldsJson)])
            survivor.customFieldsJson = try customFields.firstRow!.decode(String.self, "merged")
            survivor = try await LeadStore.saveFields(survivor, organizationID: organizationID, on: connection)
            try await LeadActivityStore.append(
                leadID: survivorID, userID: caller.userID, type: "merge", title: "Merged a duplicate lead",
                metadata: try PostgresJSON(
                    encoding: ["merged_id": mergedID.lowercasedString, "moved_activities": "\(moved)"]),
                on: connection)
            var event = LeadEvent(survivor, userID: caller.userID)
            event.survivorID = survivorID.lowercasedString
            event.mergedID = mergedID.lowercasedString
            try await event.append("lead.merged", organizationID: organizationID, on: connection)
            return survivor
        }
        return CRM.MergeLeadsResponse(lead: lead)
    }
}
