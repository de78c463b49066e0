import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ListLeads, GetPipeline, CreateLead, UpdateLead, DeleteLead: the REST API's leads, always
/// of the principal's organization (another organization's id is NOT_FOUND).
extension CRMHandlers {
    func registerLeadMethods(on router: RPCRouter) {
        router.register(CRM.Service.listLeads) { request, context in try await listLeads(request, context) }
        router.register(CRM.Service.exportLeads) { request, context in try await exportLeads(request, context) }
        router.register(CRM.Service.getPipeline) { _, context in try await getPipeline(context) }
        router.register(CRM.Service.createLead) { request, context in try await createLead(request, context) }
        router.register(CRM.Service.updateLead) { request, context in try await updateLead(request, context) }
        router.register(CRM.Service.deleteLead) { request, context in try await deleteLead(request, context) }
        router.register(CRM.Service.changeLeadStatus) { request, context in
            try await changeLeadStatus(request, context)
        }
        router.register(CRM.Service.assignLead) { request, context in try await assignLead(request, context) }
        router.register(CRM.Service.addLeadActivity) { request, context in
            try await addLeadActivity(request, context)
        }
        router.register(CRM.Service.getLeadTimeline) { request, context in
            try await getLeadTimeline(request, context)
        }
        router.register(CRM.Service.mergeLeads) { request, context in try await mergeLeads(request, context) }
        router.register(CRM.Service.importLeads) { request, context in try await importLeads(request, context) }
    }

    /// A page of leads (leads:read), at most 100.
    func listLeads(_ request: CRM.ListLeadsRequest, _ context: RPCContext) async throws -> CRM.ListLeadsResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsRead)
        return try await page(request, organizationID: caller.organizationID, maximumLimit: 100)
    }

    /// A page of the export (leads:manage), at most 1000.
    func exportLeads(_ request: CRM.ListLeadsRequest, _ context: RPCContext) async throws -> CRM.ListLeadsResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsManage)
        return try await page(request, organizationID: caller.organizationID, maximumLimit: 1000)
    }

    private func page(
        _ request: CRM.ListLeadsRequest, organizationID: UUID, maximumLimit: Int
    ) async throws -> CRM.ListLeadsResponse {
        let query = try LeadListQuery(request, maximumLimit: maximumLimit)
        let (leads, next) = try await database.withConnection { connection in
            try await query.page(organizationID: organizationID, on: connection)
        }
        return CRM.ListLeadsResponse(leads: leads, nextCursor: next?.text ?? "")
    }

    /// Live leads per status, every status listed (leads:read).
    func getPipeline(_ context: RPCContext) async throws -> CRM.GetPipelineResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsRead)
        let counts = try await database.withConnection { connection in
            try await LeadStore.pipeline(organizationID: caller.organizationID, on: connection)
        }
        let stages = LeadInput.statuses.map { CRM.PipelineStage(status: $0, count: Int32(counts[$0] ?? 0)) }
        return CRM.GetPipelineResponse(stages: stages, total: stages.reduce(0) { $0 + $1.count })
    }

    /// A lead entered by hand (leads:write); `lead.created`, and `lead.assigned` with an
    /// assignment activity when it is assigned at once.
    func createLead(_ request: CRM.CreateLeadRequest, _ context: RPCContext) async throws -> CRM.CreateLeadResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsWrite)
        var draft = try Self.draft(request)
        let assignee = try LeadInput.userID(request.assignedToUserId, "assigned_to_user_id")
        if let assignee { try await requireAssignable(assignee, caller, context) }
        draft.assignedToUserId = assignee?.lowercasedString ?? ""
        guard !draft.name.isEmpty || !draft.email.isEmpty || !draft.phone.isEmpty else {
            throw RPCError(.invalidArgument, "a lead needs a name, an email or a phone")
        }
        let lead = try await database.withTransaction { connection in
            let lead = try await Self.insertUnique(draft, organizationID: caller.organizationID, on: connection)
            let leadID = try Self.leadID(lead.id)
            try await LeadEvent(lead, userID: caller.userID)
                .append("lead.created", organizationID: caller.organizationID, on: connection)
            if let assignee {
                try await LeadActivityStore.append(
                    leadID: leadID, userID: caller.userID, type: "assignment", title: "Assigned",
                    metadata: try PostgresJSON(encoding: ["from": "", "to": assignee.lowercasedString]),
                    on: connection)
                try await LeadEvent(lead, userID: caller.userID)
                    .append("lead.assigned", organizationID: caller.organizationID, on: connection)
            }
            return lead
        }
        return CRM.CreateLeadResponse(lead: lead)
    }

    /// Validated fields of a new lead (status new, source manual unless given).
    static func draft(_ request: CRM.CreateLeadRequest, defaultSource: String = "manual") throws -> CRM.Lead {
        CRM.Lead(
            name: try LeadInput.text(request.name, "name"), email: try LeadInput.email(request.email),
            phone: try LeadInput.phone(request.phone), status: "new",
            temperature: try LeadInput.temperature(request.temperature), score: try LeadInput.score(request.score),
            source: try LeadInput.source(request.source, default: defaultSource),
            company: try LeadInput.text(request.company, "company"),
            position: try LeadInput.text(request.position, "position"),
            interest: try LeadInput.text(request.interest, "interest", limit: 4000),
            notes: try LeadInput.text(request.notes, "notes", limit: 10_000),
            customFieldsJson: try LeadInput.jsonObject(request.customFieldsJson, "custom_fields"),
            tags: try LeadInput.tags(request.tags), segment: try LeadInput.text(request.segment, "segment", limit: 100))
    }

    /// Inserts `draft`; a phone another live lead has is ALREADY_EXISTS (merge them instead).
    static func insertUnique(
        _ draft: CRM.Lead, organizationID: UUID, on connection: PostgresConnection
    ) async throws
        -> CRM.Lead
    {
        do {
            return try await LeadStore.insert(draft, organizationID: organizationID, on: connection)
        } catch let error as PostgresError where error.code == .alreadyExists {
            throw RPCError(.alreadyExists, "another lead has this phone", cause: error)
        }
    }

    /// Edits fields, custom fields (merged; a null member removes it) and tags (replaced)
    /// (leads:write); `lead.updated` naming the fields that changed.
    func updateLead(_ request: CRM.UpdateLeadRequest, _ context: RPCContext) async throws -> CRM.UpdateLeadResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsWrite)
        let leadID = try Self.leadID(request.leadId)
        var edits: [(String, WritableKeyPath<CRM.Lead, String>, String)] = []
        if let v = request.name { edits.append(("name", \.name, try LeadInput.text(v, "name"))) }
        if let v = request.email { edits.append(("email", \.email, try LeadInput.email(v))) }
        if let v = request.phone { edits.append(("phone", \.phone, try LeadInput.phone(v))) }
        if let v = request.company { edits.append(("company", \.company, try LeadInput.text(v, "company"))) }
        if let v = request.position { edits.append(("position", \.position, try LeadInput.text(v, "position"))) }
        if let v = request.interest {
            edits.append(("interest", \.interest, try LeadInput.text(v, "interest", limit: 4000)))
        }
        if let v = request.notes { edits.append(("notes", \.notes, try LeadInput.text(v, "notes", limit: 10_000))) }
        if let v = request.source { edits.append(("source", \.source, try LeadInput.source(v, default: "manual"))) }
        if let v = request.segment {
            edits.append(("segment", \.segment, try LeadInput.text(v, "segment", limit: 100)))
        }
        if let v = request.temperature {
            edits.append(("temperature", \.temperature, try LeadInput.temperature(v)))
        }
        let score = try request.score.map(LeadInput.score)
        let customFields = try request.customFieldsJson.map { try LeadInput.jsonObject($0, "custom_fields") }
        let tags = request.replaceTags ? try LeadInput.tags(request.tags) : nil
        let lead = try await database.withTransaction { connection in
            var lead = try Self.requireLead(
                try await LeadStore.find(
                    id: leadID, organizationID: caller.organizationID, forUpdate: true, on: connection))
            var changed: [String] = []
            for (field, keyPath, value) in edits where lead[keyPath: keyPath] != value {
                lead[keyPath: keyPath] = value
                changed.append(field)
            }
            if let score, score != lead.score {
                lead.score = score
                changed.append("score")
            }
            if let tags, tags != lead.tags {
                lead.tags = tags
                changed.append("tags")
            }
            if let customFields {
                let merged = try await connection.query(
                    "SELECT jsonb_strip_nulls($1::jsonb || $2::jsonb)::text AS merged",
                    [PostgresJSON(text: lead.customFieldsJson), PostgresJSON(text: customFields)])
                let text = try merged.firstRow!.decode(String.self, "merged")
                if text != lead.customFieldsJson {
                    lead.customFieldsJson = text
                    changed.append("custom_fields")
                }
            }
            guard !changed.isEmpty else { return lead }
            do {
                lead = try await LeadStore.saveFields(lead, organizationID: caller.organizationID, on: connection)
            } catch let error as PostgresError where error.code == .alreadyExists {
                throw RPCError(.alreadyExists, "another lead has this phone", cause: error)
            }
            var event = LeadEvent(lead, userID: caller.userID)
            event.changedFields = changed
            try await event.append("lead.updated", organizationID: caller.organizationID, on: connection)
            return lead
        }
        return CRM.UpdateLeadResponse(lead: lead)
    }

    /// Soft-deletes a lead (leads:manage): it leaves lists and lookups, its contact keys are
    /// free again; `lead.deleted`.
    func deleteLead(_ request: CRM.DeleteLeadRequest, _ context: RPCContext) async throws -> CRM.DeleteLeadResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.leadsManage)
        let leadID = try Self.leadID(request.leadId)
        try await database.withTransaction { connection in
            let lead = try Self.requireLead(
                try await LeadStore.find(
                    id: leadID, organizationID: caller.organizationID, forUpdate: true, on: connection))
            _ = try await LeadStore.softDelete(id: leadID, organizationID: caller.organizationID, on: connection)
            try await LeadEvent(lead, userID: caller.userID)
                .append("lead.deleted", organizationID: caller.organizationID, on: connection)
        }
        return CRM.DeleteLeadResponse()
    }

    /// INVALID_ARGUMENT unless `userID` may be assigned leads of the caller's organization.
    func requireAssignable(_ userID: UUID, _ caller: AuthenticatedCaller, _ context: RPCContext) async throws {
        guard let assignees else { return }
        guard try await assignees.isAssignable(userID: userID, organizationID: caller.organizationID, context: context)
        else { throw RPCError(.invalidArgument, "the assignee is not an active user of the organization") }
    }
}
