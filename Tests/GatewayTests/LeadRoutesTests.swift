import Contracts
import Foundation
import Testing

@testable import GatewayService

@Suite("Leads in REST form: JSON objects for JSON text, CSV safe for spreadsheets")
struct LeadRoutesTests {
    @Test("custom_fields_json and metadata_json become objects, at any depth")
    func objectMembers() throws {
        let page = CRM.ListLeadsResponse(
            leads: [CRM.Lead(id: "1", customFieldsJson: #"{"plan":"pro"}"#, tags: ["vip"])], nextCursor: "c")
        let object = try #require(try LeadJSON.object(page) as? [String: Any])
        let lead = try #require((object["leads"] as? [[String: Any]])?.first)
        #expect((lead["custom_fields"] as? [String: String]) == ["plan": "pro"])
        #expect(lead["custom_fields_json"] == nil)
        #expect(object["next_cursor"] as? String == "c")
        let activity = try #require(
            try LeadJSON.object(CRM.AddLeadActivityResponse(activity: CRM.LeadActivity(metadataJson: "")))
                as? [String: Any])
        #expect(((activity["activity"] as? [String: Any])?["metadata"] as? [String: Any])?.isEmpty == true)
    }

    @Test(
        "CSV cells are quoted when needed and never start a formula",
        arguments: [
            ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""), ("+5511987654321", "+5511987654321"),
            ("+1+1", "'+1+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
        ])
    func csvField(value: String, expected: String) {
        #expect(LeadCSV.field(value) == expected)
    }

    @Test("an export row has one cell per header column")
    func csvRow() {
        let row = LeadCSV.row(CRM.Lead(id: "1", name: "Ana, Maria", tags: ["vip", "fair"]))
        #expect(row.hasSuffix("\r\n"))
        #expect(row.hasPrefix("1,\"Ana, Maria\","))
        #expect(row.contains(",vip;fair,"))
        #expect(LeadCSV.header.split(separator: ",").count == LeadCSV.columns.count)
    }
}
