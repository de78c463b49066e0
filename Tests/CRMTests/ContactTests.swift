import Access
import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import CRMService

@Suite("Conversations and agents find, create and enrich the leads of their contacts")
struct ContactTests {
    @Test("50 concurrent FindOrCreateLead calls for one contact give one lead")
    func concurrentFindOrCreate() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization().uuidString
        let conversation = UUID().uuidString
        let results = try await withThrowingTaskGroup(of: CRM.FindOrCreateLeadResponse.self) { group in
            for index in 0..<50 {
                group.addTask {
                    // The same person, written the ways a channel may write them.
                    let phone = ["(11) 98765-4321", "5511987654321", "+55 11 98765 4321"][index % 3]
                    return try await fixture.service(
                        CRM.Service.findOrCreateLead,
                        CRM.FindOrCreateLeadRequest(
                            organizationId: organization, source: "whatsapp", phone: phone, name: "Ana",
                            conversationId: conversation))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.lead!.id)).count == 1)
        #expect(results.filter(\.created).count == 1)
        #expect(results[0].lead!.phone == "+5511987654321")
        let rows = try await fixture.database.query(
            "SELECT count(*)::bigint AS n FROM leads WHERE organization_id = $1", [UUID(uuidString: organization)])
        #expect(try rows.firstRow!.decode(Int.self, "n") == 1)
        #expect(try await fixture.events("lead.created", leadID: results[0].lead!.id) == 1)
    }

    @Test("a contact without a phone is found again by source and platform user id, then by email")
    func platformAndEmailMatching() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization().uuidString
        let first = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(
                organizationId: organization, source: "instagram", platformUserId: "ig-123", name: "Bia"))
        #expect(first.created)
        let again = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(
                organizationId: organization, source: "instagram", platformUserId: "ig-123",
                email: "Bia@Example.com"))
        #expect(!again.created)
        #expect(again.lead!.id == first.lead!.id)
        #expect(again.lead!.email == "bia@example.com")
        // Another channel, same email: the same person.
        let byEmail = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(
                organizationId: organization, source: "telegram", platformUserId: "tg-9", email: "BIA@example.com"))
        #expect(byEmail.lead!.id == first.lead!.id)
        // The same platform id on another channel is another person.
        let other = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(organizationId: organization, source: "webchat", platformUserId: "ig-123"))
        #expect(other.created)
        // Another organization never sees the lead.
        let elsewhere = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(
                organizationId: CRMFixture.organization().uuidString, source: "instagram", platformUserId: "ig-123"))
        #expect(elsewhere.created)
    }

    @Test("bad contacts and callers are refused")
    func refusals() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization()
        #expect(
            await fixture.failure {
                try await fixture.service(
                    CRM.Service.findOrCreateLead,
                    CRM.FindOrCreateLeadRequest(organizationId: organization.uuidString, source: "whatsapp"))
            } == .invalidArgument)
        #expect(
            await fixture.failure {
                try await fixture.service(
                    CRM.Service.findOrCreateLead,
                    CRM.FindOrCreateLeadRequest(
                        organizationId: organization.uuidString, source: "whatsapp", phone: "not a phone"))
            } == .invalidArgument)
        // The gateway may not call the service-only methods, even with a principal.
        #expect(
            await fixture.failure {
                try await fixture.call(
                    CRM.Service.findOrCreateLead,
                    CRM.FindOrCreateLeadRequest(
                        organizationId: organization.uuidString, source: "whatsapp", phone: "11987654321"),
                    as: CRMFixture.principal(organization))
            } == .permissionDenied)
    }

    @Test("interactions are counted, captured fields and qualification written with activities and events")
    func interactionsCaptureQualify() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization()
        let org = organization.uuidString
        let conversation = UUID().uuidString.lowercased()
        let lead = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(
                organizationId: org, source: "whatsapp", phone: "21 99876-5432", conversationId: conversation)
        ).lead!
        for _ in 0..<3 {
            _ = try await fixture.service(
                CRM.Service.recordInteraction,
                CRM.RecordInteractionRequest(organizationId: org, leadId: lead.id, conversationId: conversation))
        }
        _ = try await fixture.service(
            CRM.Service.recordInteraction,
            CRM.RecordInteractionRequest(organizationId: org, leadId: lead.id, occurredAt: "2001-01-01T00:00:00Z"))
        var current = try await fixture.service(
            CRM.Service.getLead, CRM.GetLeadRequest(organizationId: org, leadId: lead.id), caller: "agents"
        ).lead!
        #expect(current.totalInteractions == 4)
        #expect(!current.lastInteractionAt.isEmpty && !current.lastInteractionAt.hasPrefix("2001"))

        current = try await fixture.service(
            CRM.Service.captureLeadFields,
            CRM.CaptureLeadFieldsRequest(
                organizationId: org, leadId: lead.id, name: "Carla Souza", email: "CARLA@Example.com",
                company: "ACME", conversationId: conversation, actor: "agent:1"),
            caller: "agents"
        ).lead!
        #expect(current.name == "Carla Souza" && current.email == "carla@example.com" && current.company == "ACME")
        #expect(current.phone == "+5521998765432")
        #expect(try await fixture.activities("field_capture", leadID: lead.id).count == 1)
        #expect(try await fixture.events("lead.updated", leadID: lead.id) == 1)

        current = try await fixture.service(
            CRM.Service.qualifyLead,
            CRM.QualifyLeadRequest(
                organizationId: org, leadId: lead.id, temperature: "hot", score: 87, reason: "wants a demo",
                actor: "agent:1"),
            caller: "agents"
        ).lead!
        #expect(current.temperature == "hot" && current.score == 87)
        #expect(try await fixture.activities("qualification", leadID: lead.id).count == 1)
        #expect(
            await fixture.failure {
                try await fixture.service(
                    CRM.Service.qualifyLead,
                    CRM.QualifyLeadRequest(organizationId: org, leadId: lead.id, temperature: "hot", score: 101),
                    caller: "agents")
            } == .invalidArgument)
        // Another organization's id answers NOT_FOUND and changes nothing.
        let stranger = CRMFixture.organization().uuidString
        #expect(
            await fixture.failure {
                try await fixture.service(
                    CRM.Service.recordInteraction,
                    CRM.RecordInteractionRequest(organizationId: stranger, leadId: lead.id))
            } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.service(
                    CRM.Service.getLead, CRM.GetLeadRequest(organizationId: stranger, leadId: lead.id))
            } == .notFound)
    }

    @Test("GetLeads answers the organization's leads among the ids, leaving out the rest")
    func getLeadsInOneCall() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization().uuidString
        var ids: [String] = []
        for index in 0..<3 {
            let lead = try await fixture.service(
                CRM.Service.findOrCreateLead,
                CRM.FindOrCreateLeadRequest(
                    organizationId: organization, source: "telegram", platformUserId: "batch-\(index)",
                    name: "Lead \(index)")
            ).lead!
            ids.append(lead.id)
        }
        let stranger = CRMFixture.organization().uuidString
        let theirs = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(organizationId: stranger, source: "telegram", platformUserId: "other")
        ).lead!
        let answer = try await fixture.service(
            CRM.Service.getLeads,
            CRM.GetLeadsRequest(
                organizationId: organization,
                leadIds: ids + [theirs.id, UUID().uuidString.lowercased(), "not-a-uuid", ids[0]]),
            caller: "conversations")
        #expect(Set(answer.leads.map(\.id)) == Set(ids))
        #expect(Set(answer.leads.map(\.name)) == ["Lead 0", "Lead 1", "Lead 2"])
        #expect(answer.leads.allSatisfy { $0.organizationId == organization.lowercased() })
        // Whole leads carry every field; the timestamps as RFC 3339 to the second.
        #expect(answer.leads.allSatisfy { $0.source == "telegram" && $0.status == "new" })
        #expect(
            answer.leads.allSatisfy {
                $0.createdAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil && $0.updatedAt.hasSuffix("Z")
            })
        // Summaries: the same leads with id, organization, name and temperature only.
        let summaries = try await fixture.service(
            CRM.Service.getLeads,
            CRM.GetLeadsRequest(organizationId: organization, leadIds: ids + [theirs.id], summaryOnly: true),
            caller: "conversations")
        #expect(Set(summaries.leads.map(\.id)) == Set(ids))
        #expect(Set(summaries.leads.map(\.name)) == ["Lead 0", "Lead 1", "Lead 2"])
        #expect(
            summaries.leads.allSatisfy {
                $0.organizationId == organization.lowercased() && $0.temperature == "cold" && $0.source.isEmpty
                    && $0.status.isEmpty && $0.createdAt.isEmpty && $0.platformUserId.isEmpty
            })
        // Too many ids at once is refused; the gateway may not call it as a service.
        #expect(
            await fixture.failure {
                try await fixture.service(
                    CRM.Service.getLeads,
                    CRM.GetLeadsRequest(
                        organizationId: organization, leadIds: (0...200).map { _ in UUID().uuidString }),
                    caller: "conversations")
            } == .invalidArgument)
        #expect(
            await fixture.failure {
                try await fixture.service(
                    CRM.Service.getLeads, CRM.GetLeadsRequest(organizationId: organization, leadIds: ids),
                    caller: "gateway")
            } != nil)
    }
}
