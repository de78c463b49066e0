import Access
import Contracts
import Foundation
import Postgres
import RPC

/// FindOrCreateLead, RecordInteraction, CaptureLeadFields, QualifyLead, GetLead: what the
/// conversations and agents services ask of crm about the contacts they talk to.
extension CRMHandlers {
    /// The lead of a contact, created when new. Concurrent calls for one contact serialize on
    /// a transaction advisory lock named after the contact's first identifier (phone, else
    /// source and platform user id, else email); the partial unique indexes of migration 0002
    /// back it up (a conflict is retried once and then finds the winner's lead).
    func findOrCreateLead(
        _ request: CRM.FindOrCreateLeadRequest, _ context: RPCContext
    ) async throws -> CRM.FindOrCreateLeadResponse {
        let organizationID = try Self.serviceOrganization(context, request.organizationId)
        let source = try LeadInput.source(request.source, default: "api")
        let phone = try LeadInput.phone(request.phone)
        let email = try LeadInput.email(request.email)
        let platformUserID = try LeadInput.text(request.platformUserId, "platform_user_id")
        let contact = ContactKey(
            phone: phone.isEmpty ? nil : PhoneNumber(phone), source: source,
            platformUserID: platformUserID.isEmpty ? nil : platformUserID, email: email.isEmpty ? nil : email)
        guard let lockKey = contact.lockKey else {
            throw RPCError(.invalidArgument, "a contact needs a phone, a platform_user_id or an email")
        }
        let name = try LeadInput.text(request.name, "name")
        let channelID = UUID(canonicalText: request.channelId)
        let conversationID = UUID(canonicalText: request.conversationId)
        for attempt in 1...2 {
            do {
                return try await database.withTransaction { connection in
                    try await connection.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                        ["crm.contact:\(organizationID.lowercasedString):\(lockKey)"])
                    if var lead = try await LeadStore.findContact(
                        organizationID: organizationID, contact: contact, on: connection)
                    {
                        // Learn what the contact's new message tells about them.
                        var learned = false
                        if lead.phone.isEmpty, !phone.isEmpty { lead.phone = phone; learned = true }
                        if lead.email.isEmpty, !email.isEmpty { lead.email = email; learned = true }
                        if lead.name.isEmpty, !name.isEmpty { lead.name = name; learned = true }
                        if lead.platformUserId.isEmpty, !platformUserID.isEmpty, lead.source == source {
                            lead.platformUserId = platformUserID
                            learned = true
                        }
                        if lead.channelId.isEmpty, let channelID {
                            lead.channelId = channelID.lowercasedString
                            learned = true
                        }
                        if learned {
                            lead = try await LeadStore.saveFields(lead, organizationID: organizationID, on: connection)
                        }
                        if let conversationID {
                            try await LeadStore.linkConversation(
                                leadID: try Self.leadID(lead.id), conversationID: conversationID,
                                organizationID: organizationID, on: connection)
                        }
                        return CRM.FindOrCreateLeadResponse(lead: lead, created: false)
                    }
                    let draft = CRM.Lead(
                        name: name, email: email, phone: phone, status: "new", temperature: "cold", source: source,
                        channelId: channelID?.lowercasedString ?? "", platformUserId: platformUserID)
                    let lead = try await LeadStore.insert(draft, organizationID: organizationID, on: connection)
                    let leadID = try Self.leadID(lead.id)
                    if let conversationID {
                        try await LeadStore.linkConversation(
                            leadID: leadID, conversationID: conversationID, organizationID: organizationID,
                            on: connection)
                    }
                    try await LeadEvent(lead, actor: context.metadata.caller)
                        .append("lead.created", organizationID: organizationID, on: connection)
                    return CRM.FindOrCreateLeadResponse(lead: lead, created: true)
                }
            } catch let error as PostgresError where error.code == .alreadyExists && attempt == 1 {
                continue  // another identifier of the same contact won the race: find its lead
            }
        }
        throw RPCError(.aborted, "the contact changed concurrently; try again")
    }

    /// total_interactions + 1 and last_interaction_at (never moved back); links the
    /// conversation to the lead's timeline.
    func recordInteraction(
        _ request: CRM.RecordInteractionRequest, _ context: RPCContext
    ) async throws -> CRM.RecordInteractionResponse {
        let organizationID = try Self.serviceOrganization(context, request.organizationId)
        let leadID = try Self.leadID(request.leadId)
        var occurredAt: Date?
        if !request.occurredAt.isEmpty {
            guard let date = RFC3339.date(request.occurredAt) else {
                throw RPCError(.invalidArgument, "occurred_at must be an RFC 3339 timestamp")
            }
            occurredAt = date
        }
        let conversationID = UUID(canonicalText: request.conversationId)
        try await database.withTransaction { connection in
            guard
                try await LeadStore.recordInteraction(
                    id: leadID, organizationID: organizationID, occurredAt: occurredAt, on: connection)
            else { throw RPCError(.notFound, "lead not found") }
            if let conversationID {
                try await LeadStore.linkConversation(
                    leadID: leadID, conversationID: conversationID, organizationID: organizationID, on: connection)
            }
        }
        return CRM.RecordInteractionResponse()
    }

    /// Sets the fields an agent captured (absent ones unchanged, empty ones ignored); writes a
    /// `field_capture` activity and `lead.updated` when something changed.
    func captureLeadFields(
        _ request: CRM.CaptureLeadFieldsRequest, _ context: RPCContext
    ) async throws -> CRM.CaptureLeadFieldsResponse {
        let organizationID = try Self.serviceOrganization(context, request.organizationId)
        let leadID = try Self.leadID(request.leadId)
        var captured: [(String, String)] = []
        if let value = request.name { captured.append(("name", try LeadInput.text(value, "name"))) }
        if let value = request.email { captured.append(("email", try LeadInput.email(value))) }
        if let value = request.phone { captured.append(("phone", try LeadInput.phone(value))) }
        if let value = request.company { captured.append(("company", try LeadInput.text(value, "company"))) }
        if let value = request.position { captured.append(("position", try LeadInput.text(value, "position"))) }
        if let value = request.interest {
            captured.append(("interest", try LeadInput.text(value, "interest", limit: 4000)))
        }
        captured.removeAll { $0.1.isEmpty }
        let lead = try await database.withTransaction { connection in
            var lead = try Self.requireLead(
                try await LeadStore.find(id: leadID, organizationID: organizationID, forUpdate: true, on: connection))
            var changed: [String] = []
            for (field, value) in captured {
                let keyPath: WritableKeyPath<CRM.Lead, String> =
                    switch field {
                    case "name": \.name
                    case "email": \.email
                    case "phone": \.phone
                    case "company": \.company
                    case "position": \.position
                    default: \.interest
                    }
                if lead[keyPath: keyPath] != value {
                    lead[keyPath: keyPath] = value
                    changed.append(field)
                }
            }
            guard !changed.isEmpty else { return lead }
            lead = try await LeadStore.saveFields(lead, organizationID: organizationID, on: connection)
            let metadata = CaptureMetadata(
                fields: Dictionary(uniqueKeysWithValues: captured.filter { changed.contains($0.0) }),
                conversationID: request.conversationId, actor: request.actor)
            try await LeadActivityStore.append(
                leadID: leadID, userID: nil, type: "field_capture",
                title: "Captured \(changed.joined(separator: ", "))", metadata: try PostgresJSON(encoding: metadata),
                on: connection)
            var event = LeadEvent(lead, actor: request.actor.isEmpty ? context.metadata.caller : request.actor)
            event.changedFields = changed
            try await event.append("lead.updated", organizationID: organizationID, on: connection)
            return lead
        }
        return CRM.CaptureLeadFieldsResponse(lead: lead)
    }

    /// Sets temperature and score with a reason; writes a `qualification` activity and
    /// `lead.updated`.
    func qualifyLead(_ request: CRM.QualifyLeadRequest, _ context: RPCContext) async throws -> CRM.QualifyLeadResponse {
        let organizationID = try Self.serviceOrganization(context, request.organizationId)
        let leadID = try Self.leadID(request.leadId)
        guard LeadInput.temperatures.contains(request.temperature) else {
            throw RPCError(.invalidArgument, "temperature must be hot, warm or cold")
        }
        let score = try LeadInput.score(request.score)
        let reason = try LeadInput.text(request.reason, "reason", limit: 2000)
        let lead = try await database.withTransaction { connection in
            var lead = try Self.requireLead(
                try await LeadStore.find(id: leadID, organizationID: organizationID, forUpdate: true, on: connection))
            let previous = (lead.temperature, lead.score)
            lead.temperature = request.temperature
            lead.score = score
            lead = try await LeadStore.saveFields(lead, organizationID: organizationID, on: connection)
            let metadata = QualificationMetadata(
                temperature: request.temperature, score: Int(score), previousTemperature: previous.0,
                previousScore: Int(previous.1), conversationID: request.conversationId, actor: request.actor)
            try await LeadActivityStore.append(
                leadID: leadID, userID: nil, type: "qualification",
                title: "Qualified \(request.temperature) (\(score))", description: reason,
                metadata: try PostgresJSON(encoding: metadata), on: connection)
            var event = LeadEvent(lead, actor: request.actor.isEmpty ? context.metadata.caller : request.actor)
            event.changedFields = ["temperature", "score"]
            try await event.append("lead.updated", organizationID: organizationID, on: connection)
            return lead
        }
        return CRM.QualifyLeadResponse(lead: lead)
    }

    /// One lead: for the gateway, of the principal's organization (leads:read); for a platform
    /// service, of the request's organization.
    func getLead(_ request: CRM.GetLeadRequest, _ context: RPCContext) async throws -> CRM.GetLeadResponse {
        let organizationID = try Self.readingOrganization(context, request.organizationId)
        let leadID = try Self.leadID(request.leadId)
        let lead = try await database.withConnection { connection in
            try await LeadStore.find(id: leadID, organizationID: organizationID, on: connection)
        }
        return CRM.GetLeadResponse(lead: try Self.requireLead(lead))
    }

    /// The organization a lead read is for: the principal's (leads:read) for a gateway call or
    /// one naming none, else the one a platform service names.
    static func readingOrganization(_ context: RPCContext, _ organizationID: String) throws -> UUID {
        guard context.metadata.caller != "gateway", !organizationID.isEmpty else {
            let caller = try AuthenticatedCaller(context)
            try caller.require(.leadsRead)
            return caller.organizationID
        }
        return try serviceOrganization(context, organizationID)
    }

    /// The most ids one GetLeads call may name.
    static let maximumLeadsPerCall = 200

    /// Several leads of the organization in one query; ids that are malformed, unknown,
    /// deleted or another organization's are simply absent from the answer.
    func getLeads(_ request: CRM.GetLeadsRequest, _ context: RPCContext) async throws -> CRM.GetLeadsResponse {
        let organizationID = try Self.readingOrganization(context, request.organizationId)
        guard request.leadIds.count <= Self.maximumLeadsPerCall else {
            throw RPCError(.invalidArgument, "at most \(Self.maximumLeadsPerCall) lead ids per call")
        }
        let ids = Array(Set(request.leadIds.compactMap { UUID(canonicalText: $0) }))
        guard !ids.isEmpty else { return CRM.GetLeadsResponse() }
        let leads = try await database.withConnection { connection in
            try await LeadStore.find(
                ids: ids, organizationID: organizationID, summaryOnly: request.summaryOnly, on: connection)
        }
        return CRM.GetLeadsResponse(leads: leads)
    }
}

/// The metadata of a `field_capture` activity.
struct CaptureMetadata: Encodable {
    var fields: [String: String]
    var conversationID: String
    var actor: String

    enum CodingKeys: String, CodingKey {
        case fields, actor
        case conversationID = "conversation_id"
    }
}

/// The metadata of a `qualification` activity.
struct QualificationMetadata: Encodable {
    var temperature: String
    var score: Int
    var previousTemperature: String
    var previousScore: Int
    var conversationID: String
    var actor: String

    enum CodingKeys: String, CodingKey {
        case temperature, score, actor
        case previousTemperature = "previous_temperature"
        case previousScore = "previous_score"
        case conversationID = "conversation_id"
    }
}
