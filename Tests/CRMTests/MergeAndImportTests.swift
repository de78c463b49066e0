import Access
import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import CRMService

@Suite("Duplicates merge into a survivor; CSV imports keep good rows and report bad ones")
struct MergeAndImportTests {
    @Test("a merge moves activities and conversations, fills the survivor, soft-deletes the duplicate")
    func merge() async throws {
        let fixture = try await CRMFixture.shared()
        let organization = CRMFixture.organization()
        let principal = CRMFixture.principal(organization, role: .manager)
        let conversation = UUID().uuidString.lowercased()
        let duplicate = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(
                organizationId: organization.uuidString, source: "whatsapp", phone: "11 98888-7777",
                conversationId: conversation)
        ).lead!
        _ = try await fixture.service(
            CRM.Service.recordInteraction,
            CRM.RecordInteractionRequest(
                organizationId: organization.uuidString, leadId: duplicate.id, conversationId: conversation))
        _ = try await fixture.call(
            CRM.Service.addLeadActivity,
            CRM.AddLeadActivityRequest(leadId: duplicate.id, type: "call", title: "Called back"), as: principal)
        _ = try await fixture.call(
            CRM.Service.updateLead,
            CRM.UpdateLeadRequest(
                leadId: duplicate.id, customFieldsJson: #"{"plan":"pro","city":"SP"}"#, replaceTags: true,
                tags: ["whatsapp", "vip"]),
            as: principal)
        let survivor = try await fixture.call(
            CRM.Service.createLead,
            CRM.CreateLeadRequest(
                name: "Marta", email: "marta@example.com", tags: ["vip", "event"], customFieldsJson: #"{"city":"RJ"}"#),
            as: principal
        ).lead!
        _ = try await fixture.call(
            CRM.Service.addLeadActivity,
            CRM.AddLeadActivityRequest(leadId: survivor.id, type: "note", title: "Met at the fair"), as: principal)

        let merged = try await fixture.call(
            CRM.Service.mergeLeads, CRM.MergeLeadsRequest(survivorId: survivor.id, mergedId: duplicate.id),
            as: principal
        ).lead!
        #expect(merged.id == survivor.id)
        #expect(merged.name == "Marta" && merged.phone == "+5511988887777" && merged.email == "marta@example.com")
        #expect(merged.tags == ["vip", "event", "whatsapp"])
        #expect(
            merged.customFieldsJson.contains(#""city": "RJ""#) && merged.customFieldsJson.contains(#""plan": "pro""#))
        #expect(merged.totalInteractions == 1)

        let timeline = try await fixture.call(
            CRM.Service.getLeadTimeline, CRM.GetLeadTimelineRequest(leadId: survivor.id), as: principal)
        #expect(Set(timeline.activities.map(\.type)) == ["call", "note", "merge"])
        #expect(timeline.conversationIds == [conversation])
        #expect(
            await fixture.failure {
                try await fixture.call(CRM.Service.getLead, CRM.GetLeadRequest(leadId: duplicate.id), as: principal)
            } == .notFound)
        let pointer = try await fixture.database.query(
            "SELECT merged_into_id FROM leads WHERE id = $1 AND deleted_at IS NOT NULL",
            [UUID(uuidString: duplicate.id)])
        #expect(try pointer.firstRow?.decode(UUID.self, "merged_into_id").uuidString.lowercased() == survivor.id)
        let event = try await fixture.database.query(
            "SELECT payload->>'survivor_id' AS s, payload->>'merged_id' AS m FROM outbox WHERE event_type = 'lead.merged' AND aggregate_id = $1",
            [UUID(uuidString: survivor.id)])
        #expect(try event.firstRow?.decode(String.self, "s") == survivor.id)
        #expect(try event.firstRow?.decode(String.self, "m") == duplicate.id)
        // The contact writing again finds the survivor.
        let again = try await fixture.service(
            CRM.Service.findOrCreateLead,
            CRM.FindOrCreateLeadRequest(
                organizationId: organization.uuidString, source: "whatsapp", phone: "5511988887777"))
        #expect(!again.created && again.lead!.id == survivor.id)
        // Merging a lead with itself or a merged one is refused.
        #expect(
            await fixture.failure {
                try await fixture.call(
                    CRM.Service.mergeLeads, CRM.MergeLeadsRequest(survivorId: survivor.id, mergedId: survivor.id),
                    as: principal)
            } == .invalidArgument)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    CRM.Service.mergeLeads, CRM.MergeLeadsRequest(survivorId: survivor.id, mergedId: duplicate.id),
                    as: principal)
            } == .notFound)
    }

    @Test("an import keeps the good rows and reports each bad row with its line and reason")
    func importWithBadRows() async throws {
        let fixture = try await CRMFixture.shared()
        let principal = CRMFixture.principal(CRMFixture.organization(), role: .admin)
        let csv = """
            Name,Email,Phone,Status,Score,Tags,Company
            Ana Lima,ANA@example.com,(11) 98765-4321,qualified,80,vip;fair,"Lima, Filhos & Cia"
            Bad Phone,bad@example.com,call me,,,,
            ,,,,,,
            Duplicate Phone,dup@example.com,5511987654321,,,,
            Bad Status,x@example.com,,won,,,
            Bad Score,y@example.com,,,200,,
            "Multi
            Line",multi@example.com,,,,,
            Bad Email,not-an-email,,,,,
            Carlos,carlos@example.com,21 3456-7890,converted,,,

            """
        let report = try await fixture.call(CRM.Service.importLeads, CRM.ImportLeadsRequest(csv: csv), as: principal)
        #expect(report.imported == 3)
        #expect(report.refused.map(\.row) == [3, 4, 5, 6, 7, 10])
        #expect(report.refused[0].reason == "phone is not a valid phone number")
        #expect(report.refused[2].reason == "another lead has this phone")
        let leads = try await LeadListTests.all(fixture, CRM.ListLeadsRequest(), as: principal)
        #expect(Set(leads.map(\.name)) == ["Ana Lima", "Multi\nLine", "Carlos"])
        let ana = leads.first { $0.name == "Ana Lima" }!
        #expect(ana.email == "ana@example.com" && ana.status == "qualified" && ana.score == 80)
        #expect(ana.tags == ["vip", "fair"] && ana.company == "Lima, Filhos & Cia" && ana.source == "import")
        let carlos = leads.first { $0.name == "Carlos" }!
        #expect(carlos.status == "converted" && !carlos.convertedAt.isEmpty)
        // A file without a usable header is refused as a whole.
        #expect(
            await fixture.failure {
                try await fixture.call(
                    CRM.Service.importLeads, CRM.ImportLeadsRequest(csv: "foo,bar\n1,2\n"), as: principal)
            } == .invalidArgument)
    }

    @Test("CSV parsing handles quotes, doubled quotes, CRLF and a missing final newline")
    func csvParsing() throws {
        let records = try CSV.parse("a,b\r\n\"x, \"\"y\"\"\",z\r\n,\n\"last\",1")
        #expect(records.map(\.fields) == [["a", "b"], ["x, \"y\"", "z"], ["", ""], ["last", "1"]])
        #expect(records.map(\.line) == [1, 2, 3, 4])
        #expect(throws: CSV.SyntaxError.self) { try CSV.parse("a\n\"open") }
    }
}
