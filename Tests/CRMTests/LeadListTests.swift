import Access
import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import CRMService

@Suite("The leads list filters, searches and pages without duplicates or gaps")
struct LeadListTests {
    /// An organization with 60 leads of known shape: index i has status statuses[i % 5],
    /// temperature hot when i % 3 == 0, score i, tag "vip" when i % 4 == 0, segment "b2b" when
    /// i is even, source whatsapp when i % 2 == 1, assigned to `user` when i % 6 == 0.
    static func seed(_ fixture: CRMFixture) async throws -> (principal: Principal, user: UUID, ids: [String]) {
        let organization = CRMFixture.organization()
        let user = UUID()
        let principal = CRMFixture.principal(organization)
        var ids: [String] = []
        for i in 0..<60 {
            let lead = try await fixture.call(
                CRM.Service.createLead,
                CRM.CreateLeadRequest(
                    name: i == 7 ? "Joana Prado" : "Lead \(i)", email: "lead\(i)@example.com",
                    phone: String(format: "11 9%04d-%04d", i, i), source: i % 2 == 1 ? "whatsapp" : "manual",
                    segment: i % 2 == 0 ? "b2b" : "", temperature: i % 3 == 0 ? "hot" : "cold", score: Int32(i),
                    tags: i % 4 == 0 ? ["vip"] : [], assignedToUserId: i % 6 == 0 ? user.uuidString : ""),
                as: principal
            ).lead!
            let status = StatusAndAssignmentTests.statuses[i % 5]
            if status != "new" {
                _ = try await fixture.call(
                    CRM.Service.changeLeadStatus, CRM.ChangeLeadStatusRequest(leadId: lead.id, status: status),
                    as: principal)
            }
            ids.append(lead.id)
        }
        return (principal, user, ids)
    }

    /// Every page of `request`, following next_cursor.
    static func all(
        _ fixture: CRMFixture, _ request: CRM.ListLeadsRequest, as principal: Principal
    ) async throws -> [CRM.Lead] {
        var request = request
        var leads: [CRM.Lead] = []
        while true {
            let page = try await fixture.call(CRM.Service.listLeads, request, as: principal)
            #expect(page.leads.count <= Int(request.limit == 0 ? 50 : request.limit))
            leads += page.leads
            if page.nextCursor.isEmpty { return leads }
            request.cursor = page.nextCursor
        }
    }

    @Test("filters, search and pages of 7 give exactly the matching leads, newest first")
    func filtersAndPagination() async throws {
        let fixture = try await CRMFixture.shared()
        let (principal, user, ids) = try await Self.seed(fixture)
        let everything = try await Self.all(fixture, CRM.ListLeadsRequest(limit: 7), as: principal)
        #expect(everything.count == 60)
        #expect(Set(everything.map(\.id)) == Set(ids))
        #expect(everything.map(\.id) == ids.reversed())

        func count(_ request: CRM.ListLeadsRequest) async throws -> Int {
            var request = request
            request.limit = 4
            let leads = try await Self.all(fixture, request, as: principal)
            #expect(Set(leads.map(\.id)).count == leads.count)
            return leads.count
        }
        #expect(try await count(CRM.ListLeadsRequest(status: "lost")) == 12)
        #expect(try await count(CRM.ListLeadsRequest(temperature: "hot")) == 20)
        #expect(try await count(CRM.ListLeadsRequest(assignedTo: user.uuidString)) == 10)
        #expect(try await count(CRM.ListLeadsRequest(assignedTo: "none")) == 50)
        #expect(try await count(CRM.ListLeadsRequest(source: "whatsapp")) == 30)
        #expect(try await count(CRM.ListLeadsRequest(tag: "vip")) == 15)
        #expect(try await count(CRM.ListLeadsRequest(segment: "b2b")) == 30)
        #expect(try await count(CRM.ListLeadsRequest(scoreMin: "10", scoreMax: "19")) == 10)
        #expect(try await count(CRM.ListLeadsRequest(status: "new", temperature: "hot", tag: "vip")) == 1)
        #expect(try await count(CRM.ListLeadsRequest(createdFrom: "2000-01-01", createdTo: "2100-01-01")) == 60)
        #expect(try await count(CRM.ListLeadsRequest(createdTo: "2000-01-01")) == 0)
        // Full text: a name word, an email prefix, a phone in any format.
        #expect(try await count(CRM.ListLeadsRequest(q: "joana")) == 1)
        #expect(try await count(CRM.ListLeadsRequest(q: "Prado")) == 1)
        #expect(try await count(CRM.ListLeadsRequest(q: "lead42@example.com")) == 1)
        #expect(try await count(CRM.ListLeadsRequest(q: "LEAD5")) == 11)
        #expect(try await count(CRM.ListLeadsRequest(q: "lead5_")) == 0)
        #expect(try await count(CRM.ListLeadsRequest(q: "(11) 90042-0042")) == 1)
        #expect(try await count(CRM.ListLeadsRequest(q: "90042")) == 1)
        #expect(try await count(CRM.ListLeadsRequest(q: "nobody-here")) == 0)
        #expect(try await count(CRM.ListLeadsRequest(q: "\u{488D9} !&")) == 0)
        #expect(try await count(CRM.ListLeadsRequest(q: "de")) == 0)
    }

    @Test("the pipeline counts live leads per status, deleted ones excluded")
    func pipeline() async throws {
        let fixture = try await CRMFixture.shared()
        let (principal, _, ids) = try await Self.seed(fixture)
        _ = try await fixture.call(CRM.Service.deleteLead, CRM.DeleteLeadRequest(leadId: ids[0]), as: principal)
        let pipeline = try await fixture.call(CRM.Service.getPipeline, CRM.GetPipelineRequest(), as: principal)
        #expect(pipeline.stages.map(\.status) == StatusAndAssignmentTests.statuses)
        #expect(pipeline.stages.map(\.count) == [11, 12, 12, 12, 12])
        #expect(pipeline.total == 59)
        let listed = try await Self.all(fixture, CRM.ListLeadsRequest(limit: 100), as: principal)
        #expect(!listed.map(\.id).contains(ids[0]))
        #expect(
            await fixture.failure {
                try await fixture.call(CRM.Service.getLead, CRM.GetLeadRequest(leadId: ids[0]), as: principal)
            } == .notFound)
    }

    @Test(
        "bad filters are refused",
        arguments: [
            CRM.ListLeadsRequest(status: "won"), CRM.ListLeadsRequest(temperature: "tepid"),
            CRM.ListLeadsRequest(assignedTo: "bob"), CRM.ListLeadsRequest(scoreMin: "abc"),
            CRM.ListLeadsRequest(scoreMax: "101"), CRM.ListLeadsRequest(createdFrom: "yesterday"),
            CRM.ListLeadsRequest(cursor: "not-a-cursor"), CRM.ListLeadsRequest(limit: 101),
            CRM.ListLeadsRequest(limit: -1),
        ])
    func badFilters(request: CRM.ListLeadsRequest) async throws {
        let fixture = try await CRMFixture.shared()
        let principal = CRMFixture.principal(CRMFixture.organization())
        #expect(
            await fixture.failure { try await fixture.call(CRM.Service.listLeads, request, as: principal) }
                == .invalidArgument)
    }

    @Test("search text with tsquery operators is taken as words")
    func searchOperators() {
        #expect(LeadListQuery.tsquery("ana & !silva | (x)") == "'ana' & 'silva' & 'x'")
        #expect(LeadListQuery.tsquery("'; DROP") == "'drop'")
        #expect(LeadListQuery.tsquery("(11) 98765-4321") == "'5511987654321':*")
        #expect(LeadListQuery.tsquery("\u{488D9} & ()") == nil)
    }

    /// bench/leads/plans.sql shows the plans of this statement: it must select what the code
    /// selects and search the way the code searches, or the plans it shows are of another query.
    @Test("bench/leads/plans.sql prepares the statement the list runs")
    func benchPlansMatchTheStatement() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let plans = try String(contentsOf: root.appendingPathComponent("bench/leads/plans.sql"), encoding: .utf8)
        func words(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let script = words(plans)
        #expect(script.contains("SELECT " + words(LeadStore.columns) + " FROM leads WHERE"))
        #expect(script.contains(words(LeadListQuery.searchMatches) + " SELECT " + words(LeadStore.columns)))
    }
}
