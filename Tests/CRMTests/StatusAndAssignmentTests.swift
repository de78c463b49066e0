import Access
import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import CRMService

@Suite("Status changes keep converted_at and lost_at right; assignments record who did it")
struct StatusAndAssignmentTests {
    static let statuses = ["new", "contacted", "qualified", "converted", "lost"]

    @Test(
        "every transition sets the timestamps of the status entered and clears the one left",
        arguments: statuses.flatMap { from in statuses.filter { $0 != from }.map { (from, $0) } })
    func transition(from: String, to: String) async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization()
        let user = UUID()
        let principal = CRMFixture.principal(organization, role: .consultant, user: user)
        var lead = try await fixture.call(
            CRM.Service.createLead, CRM.CreateLeadRequest(name: "Transição \(from)-\(to)"), as: principal
        ).lead!
        if from != "new" {
            lead = try await fixture.call(
                CRM.Service.changeLeadStatus, CRM.ChangeLeadStatusRequest(leadId: lead.id, status: from), as: principal
            ).lead!
        }
        #expect(lead.convertedAt.isEmpty == (from != "converted"))
        #expect(lead.lostAt.isEmpty == (from != "lost"))
        let changed = try await fixture.call(
            CRM.Service.changeLeadStatus, CRM.ChangeLeadStatusRequest(leadId: lead.id, status: to, reason: "because"),
            as: principal
        ).lead!
        #expect(changed.status == to)
        #expect(changed.convertedAt.isEmpty == (to != "converted"))
        #expect(changed.lostAt.isEmpty == (to != "lost"))
        let activities = try await fixture.activities("status_change", leadID: lead.id)
        #expect(activities.count == (from == "new" ? 1 : 2))
        #expect(activities.last?.userID == user)
        #expect(activities.last?.metadata.contains("\"to\": \"\(to)\"") == true)
        #expect(try await fixture.events("lead.status_changed", leadID: lead.id) == activities.count)
    }

    @Test("the current status again changes nothing; an unknown status is refused")
    func sameStatusAndUnknown() async throws {
        let fixture = try await CRMFixture.shared()
        let principal = CRMFixture.principal(CRMFixture.organization())
        let lead = try await fixture.call(CRM.Service.createLead, CRM.CreateLeadRequest(name: "Ana"), as: principal)
            .lead!
        let same = try await fixture.call(
            CRM.Service.changeLeadStatus, CRM.ChangeLeadStatusRequest(leadId: lead.id, status: "new"), as: principal
        ).lead!
        #expect(same.updatedAt == lead.updatedAt)
        #expect(try await fixture.events("lead.status_changed", leadID: lead.id) == 0)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    CRM.Service.changeLeadStatus, CRM.ChangeLeadStatusRequest(leadId: lead.id, status: "won"),
                    as: principal)
            } == .invalidArgument)
    }

    @Test("assign, reassign and unassign write assignment activities and lead.assigned")
    func assignment() async throws {
        let fixture = try await CRMFixture.shared()
        let actor = UUID()
        let principal = CRMFixture.principal(CRMFixture.organization(), role: .manager, user: actor)
        let lead = try await fixture.call(CRM.Service.createLead, CRM.CreateLeadRequest(name: "Bruno"), as: principal)
            .lead!
        let first = UUID().uuidString.lowercased(), second = UUID().uuidString.lowercased()
        var assigned = try await fixture.call(
            CRM.Service.assignLead, CRM.AssignLeadRequest(leadId: lead.id, userId: first), as: principal
        ).lead!
        #expect(assigned.assignedToUserId == first && !assigned.assignedAt.isEmpty)
        assigned = try await fixture.call(
            CRM.Service.assignLead, CRM.AssignLeadRequest(leadId: lead.id, userId: second), as: principal
        ).lead!
        #expect(assigned.assignedToUserId == second)
        assigned = try await fixture.call(
            CRM.Service.assignLead, CRM.AssignLeadRequest(leadId: lead.id, userId: ""), as: principal
        ).lead!
        #expect(assigned.assignedToUserId.isEmpty && assigned.assignedAt.isEmpty)
        let activities = try await fixture.activities("assignment", leadID: lead.id)
        #expect(activities.count == 3)
        #expect(activities.allSatisfy { $0.userID == actor })
        #expect(try await fixture.events("lead.assigned", leadID: lead.id) == 3)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    CRM.Service.assignLead, CRM.AssignLeadRequest(leadId: lead.id, userId: "someone"), as: principal)
            } == .invalidArgument)
    }

    @Test("an assignee identity does not know is refused")
    func assigneeChecked() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization()
        let known = UUID()
        let client = fixture.withAssignees(FixedAssignees(users: [organization: [known]]))
        let principal = CRMFixture.principal(organization)
        let lead = try await client.call(CRM.Service.createLead, CRM.CreateLeadRequest(name: "Caio"), as: principal)
            .lead!
        #expect(
            await fixture.failure {
                try await client.call(
                    CRM.Service.assignLead, CRM.AssignLeadRequest(leadId: lead.id, userId: UUID().uuidString),
                    as: principal)
            } == .invalidArgument)
        let assigned = try await client.call(
            CRM.Service.assignLead, CRM.AssignLeadRequest(leadId: lead.id, userId: known.uuidString), as: principal
        ).lead!
        #expect(assigned.assignedToUserId == known.uuidString.lowercased())
    }
}

/// An assignee directory that knows a fixed set of users per organization.
struct FixedAssignees: AssigneeDirectory {
    let users: [UUID: Set<UUID>]

    func isAssignable(userID: UUID, organizationID: UUID, context: RPCContext) async throws -> Bool {
        users[organizationID]?.contains(userID) == true
    }
}

@Suite("A service changes a lead's status for an organization it names, with its actor")
struct ServiceStatusChangeTests {
    @Test("agents sets the status: activity without a user but with the actor, event, other tenants 404")
    func agentsSetsStatus() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization()
        let principal = CRMFixture.principal(organization)
        let lead = try await fixture.call(
            CRM.Service.createLead, CRM.CreateLeadRequest(name: "Serviço"), as: principal
        ).lead!
        let changed = try await fixture.service(
            CRM.Service.changeLeadStatus,
            CRM.ChangeLeadStatusRequest(
                leadId: lead.id, status: "contacted", reason: "intent handler pricing",
                organizationId: organization.uuidString.lowercased(), actor: "agent:42"),
            caller: "agents")
        #expect(changed.lead?.status == "contacted")
        let activities = try await fixture.activities("status_change", leadID: lead.id)
        #expect(activities.count == 1 && activities[0].userID == nil && activities[0].metadata.contains("agent:42"))
        #expect(try await fixture.events("lead.status_changed", leadID: lead.id) == 1)
        // Another organization's id: NOT_FOUND, unchanged.
        let other = await fixture.failure {
            try await fixture.service(
                CRM.Service.changeLeadStatus,
                CRM.ChangeLeadStatusRequest(
                    leadId: lead.id, status: "lost", organizationId: UUID().uuidString.lowercased(), actor: "agent:42"),
                caller: "agents")
        }
        #expect(other == .notFound)
        // Through the gateway the organization in the body is ignored: the principal decides.
        let stranger = CRMFixture.principal(CRMFixture.organization())
        let foreign = await fixture.failure {
            try await fixture.call(
                CRM.Service.changeLeadStatus,
                CRM.ChangeLeadStatusRequest(
                    leadId: lead.id, status: "lost", organizationId: organization.uuidString.lowercased()),
                as: stranger)
        }
        #expect(foreign == .notFound)
        // A service that is not a platform caller is refused.
        let refused = await fixture.failure {
            try await fixture.service(
                CRM.Service.changeLeadStatus,
                CRM.ChangeLeadStatusRequest(
                    leadId: lead.id, status: "lost", organizationId: organization.uuidString.lowercased()),
                caller: "stranger")
        }
        #expect(refused == .permissionDenied)
    }
}
