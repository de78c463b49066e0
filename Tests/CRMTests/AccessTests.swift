import Access
import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import CRMService

/// Every REST method of crm with the permission it needs (Shared/Access) and a call of it on
/// one lead (a second lead for merge).
struct LeadEndpoint: Sendable, CustomTestStringConvertible {
    let name: String
    let permission: Permission
    let call: @Sendable (CRMFixture, Principal, _ lead: String, _ other: String) async throws -> Void

    var testDescription: String { name }

    static let all: [LeadEndpoint] = [
        .init(name: "ListLeads", permission: .leadsRead) { f, p, _, _ in
            _ = try await f.call(CRM.Service.listLeads, CRM.ListLeadsRequest(), as: p)
        },
        .init(name: "GetPipeline", permission: .leadsRead) { f, p, _, _ in
            _ = try await f.call(CRM.Service.getPipeline, CRM.GetPipelineRequest(), as: p)
        },
        .init(name: "GetLead", permission: .leadsRead) { f, p, lead, _ in
            _ = try await f.call(CRM.Service.getLead, CRM.GetLeadRequest(leadId: lead), as: p)
        },
        .init(name: "GetLeadTimeline", permission: .leadsRead) { f, p, lead, _ in
            _ = try await f.call(CRM.Service.getLeadTimeline, CRM.GetLeadTimelineRequest(leadId: lead), as: p)
        },
        .init(name: "CreateLead", permission: .leadsWrite) { f, p, _, _ in
            _ = try await f.call(CRM.Service.createLead, CRM.CreateLeadRequest(name: "New"), as: p)
        },
        .init(name: "UpdateLead", permission: .leadsWrite) { f, p, lead, _ in
            _ = try await f.call(CRM.Service.updateLead, CRM.UpdateLeadRequest(leadId: lead, name: "Changed"), as: p)
        },
        .init(name: "ChangeLeadStatus", permission: .leadsWrite) { f, p, lead, _ in
            _ = try await f.call(
                CRM.Service.changeLeadStatus, CRM.ChangeLeadStatusRequest(leadId: lead, status: "contacted"), as: p)
        },
        .init(name: "AssignLead", permission: .leadsWrite) { f, p, lead, _ in
            _ = try await f.call(
                CRM.Service.assignLead, CRM.AssignLeadRequest(leadId: lead, userId: UUID().uuidString), as: p)
        },
        .init(name: "AddLeadActivity", permission: .leadsWrite) { f, p, lead, _ in
            _ = try await f.call(
                CRM.Service.addLeadActivity, CRM.AddLeadActivityRequest(leadId: lead, type: "note", title: "n"), as: p)
        },
        .init(name: "DeleteLead", permission: .leadsManage) { f, p, lead, _ in
            _ = try await f.call(CRM.Service.deleteLead, CRM.DeleteLeadRequest(leadId: lead), as: p)
        },
        .init(name: "MergeLeads", permission: .leadsManage) { f, p, lead, other in
            _ = try await f.call(
                CRM.Service.mergeLeads, CRM.MergeLeadsRequest(survivorId: lead, mergedId: other), as: p)
        },
        .init(name: "ExportLeads", permission: .leadsManage) { f, p, _, _ in
            _ = try await f.call(CRM.Service.exportLeads, CRM.ListLeadsRequest(), as: p)
        },
        .init(name: "ImportLeads", permission: .leadsManage) { f, p, _, _ in
            _ = try await f.call(CRM.Service.importLeads, CRM.ImportLeadsRequest(csv: "name\nImported\n"), as: p)
        },
    ]

    /// The methods that take a lead id.
    static let byLead = all.filter {
        !["ListLeads", "GetPipeline", "CreateLead", "ExportLeads", "ImportLeads"].contains($0.name)
    }
}

@Suite("Every crm REST method follows the role matrix and never crosses organizations")
struct AccessTests {
    @Test("each role may call exactly what RolePermissions allows it", arguments: LeadEndpoint.all)
    func roleMatrix(endpoint: LeadEndpoint) async throws {
        let fixture = try await CRMFixture.shared()
        for role in Role.allCases {
            let principal = CRMFixture.principal(CRMFixture.organization(), role: role)
            let lead = try await fixture.call(
                CRM.Service.createLead, CRM.CreateLeadRequest(name: "A"),
                as: CRMFixture.principal(UUID(uuidString: principal.organizationId)!)
            ).lead!
            let other = try await fixture.call(
                CRM.Service.createLead, CRM.CreateLeadRequest(name: "B"),
                as: CRMFixture.principal(UUID(uuidString: principal.organizationId)!)
            ).lead!
            let status = await fixture.failure { try await endpoint.call(fixture, principal, lead.id, other.id) }
            if RolePermissions.allows(role.rawValue, endpoint.permission) {
                #expect(status == nil, "\(role.rawValue) should be allowed \(endpoint.name)")
            } else {
                #expect(status == .permissionDenied, "\(role.rawValue) should be refused \(endpoint.name)")
            }
        }
        // An API key needs the scope too.
        let organization = CRMFixture.organization()
        var key = CRMFixture.principal(organization, role: .admin)
        key.apiKeyId = "key-1"
        key.scopes = []
        let lead = try await fixture.call(
            CRM.Service.createLead, CRM.CreateLeadRequest(name: "K"), as: CRMFixture.principal(organization)
        ).lead!
        #expect(await fixture.failure { try await endpoint.call(fixture, key, lead.id, lead.id) } == .permissionDenied)
        // No principal at all is unauthenticated.
        #expect(
            await fixture.failure { try await endpoint.call(fixture, Principal(), lead.id, lead.id) }
                == .unauthenticated)
    }

    @Test("another organization's lead ids answer NOT_FOUND and change nothing", arguments: LeadEndpoint.byLead)
    func tenantIsolation(endpoint: LeadEndpoint) async throws {
        let fixture = try await CRMFixture.shared()
        let owner = CRMFixture.principal(CRMFixture.organization())
        let lead = try await fixture.call(
            CRM.Service.createLead, CRM.CreateLeadRequest(name: "Mine", phone: "11 97777-1111"), as: owner
        ).lead!
        let other = try await fixture.call(CRM.Service.createLead, CRM.CreateLeadRequest(name: "Also mine"), as: owner)
            .lead!
        let before = try await Self.snapshot(fixture, [lead.id, other.id])
        let stranger = CRMFixture.principal(CRMFixture.organization(), role: .admin)
        #expect(await fixture.failure { try await endpoint.call(fixture, stranger, lead.id, other.id) } == .notFound)
        // A merge naming one own lead and one foreign lead is refused too.
        if endpoint.name == "MergeLeads" {
            let own = try await fixture.call(
                CRM.Service.createLead, CRM.CreateLeadRequest(name: "Theirs"), as: stranger
            ).lead!
            #expect(await fixture.failure { try await endpoint.call(fixture, stranger, own.id, lead.id) } == .notFound)
        }
        #expect(try await Self.snapshot(fixture, [lead.id, other.id]) == before)
        // The stranger's lists never show the lead.
        let listed = try await fixture.call(CRM.Service.listLeads, CRM.ListLeadsRequest(q: "Mine"), as: stranger)
        #expect(!listed.leads.contains { $0.id == lead.id })
    }

    /// The leads' rows, their activities and their events, as text.
    static func snapshot(_ fixture: CRMFixture, _ ids: [String]) async throws -> [String] {
        let uuids = ids.compactMap(UUID.init(uuidString:))
        let rows = try await fixture.database.query(
            """
            SELECT (SELECT string_agg(to_jsonb(l)::text, '|' ORDER BY id) FROM leads l WHERE id = ANY($1)) AS leads,
                (SELECT count(*) FROM lead_activities WHERE lead_id = ANY($1))::text AS activities,
                (SELECT count(*) FROM outbox WHERE aggregate_id = ANY($1))::text AS events
            """, [uuids])
        let row = rows.firstRow!
        return [
            try row.decode(String.self, "leads"), try row.decode(String.self, "activities"),
            try row.decode(String.self, "events"),
        ]
    }
}
