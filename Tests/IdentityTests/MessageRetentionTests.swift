import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("ListMessageRetention and the settings other services read")
struct MessageRetentionTests {
    /// Stores `settings` as they are (bypassing the update's checks, as rows written before
    /// them may hold anything).
    func store(_ settings: String, for organizationID: String, _ fixture: IdentityFixture) async throws {
        try await fixture.database.execute(
            "UPDATE organizations SET settings = $2 WHERE id = $1",
            [UUID(uuidString: organizationID)!, PostgresJSON(text: settings)])
    }

    func list(_ fixture: IdentityFixture, caller: String) async throws -> [String: Int32] {
        let response = try await fixture.client.call(
            Identity.Service.listMessageRetention, Identity.ListMessageRetentionRequest(),
            metadata: CallMetadata(requestID: "t", caller: caller), timeout: .seconds(10))
        #expect(response.organizations.map(\.organizationId) == response.organizations.map(\.organizationId).sorted())
        return Dictionary(response.organizations.map { ($0.organizationId, $0.days) }) { first, _ in first }
    }

    @Test("only live organizations with a whole number of days in 30...3650, for conversations only")
    func listsValidSettings() async throws {
        let fixture = try await IdentityFixture.shared()
        let cases: [(settings: String, days: Int32?)] = [
            (#"{"conversations":{"message_retention_days":30}}"#, 30),
            (#"{"conversations":{"message_retention_days":3650,"return_to_ai_after_minutes":5}}"#, 3650),
            (#"{"conversations":{"message_retention_days":365.0}}"#, 365),
            (#"{"conversations":{"message_retention_days":29}}"#, nil),
            (#"{"conversations":{"message_retention_days":3651}}"#, nil),
            (#"{"conversations":{"message_retention_days":90.5}}"#, nil),
            (#"{"conversations":{"message_retention_days":"90"}}"#, nil),
            (#"{"conversations":{"message_retention_days":true}}"#, nil),
            (#"{"conversations":{"message_retention_days":null}}"#, nil),
            (#"{"conversations":{"message_retention_days":1e400}}"#, nil),
            (#"{"conversations":"90"}"#, nil),
            (#"{"message_retention_days":90}"#, nil),
            (#"[90]"#, nil),
            ("{}", nil),
        ]
        var expected: [String: Int32?] = [:]
        for (settings, days) in cases {
            let organization = try #require(try await fixture.signUp().response.organization)
            try await store(settings, for: organization.id, fixture)
            expected[organization.id] = days
        }
        let deleted = try #require(try await fixture.signUp().response.organization)
        try await store(#"{"conversations":{"message_retention_days":60}}"#, for: deleted.id, fixture)
        try await fixture.database.execute(
            "UPDATE organizations SET deleted_at = CURRENT_TIMESTAMP WHERE id = $1", [UUID(uuidString: deleted.id)!])

        let listed = try await list(fixture, caller: "conversations")
        for (organizationID, days) in expected {
            #expect(listed[organizationID] == days, "\(organizationID)")
        }
        #expect(listed[deleted.id] == nil)

        for caller in ["gateway", "crm", ""] {
            #expect(await fixture.failure { try await list(fixture, caller: caller) } == .permissionDenied)
        }
    }

    @Test("updating settings refuses retention and return-to-AI values out of range, naming the field")
    func updateChecksSettings() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        func update(_ conversations: String) async throws -> Identity.OrganizationSettings {
            try await fixture.call(
                Identity.Service.updateOrganizationSettings,
                Identity.UpdateOrganizationSettingsRequest(settings: #"{"conversations":"# + conversations + "}"),
                as: admin)
        }
        let refused: [(conversations: String, field: String)] = [
            (#"{"message_retention_days":29}"#, "message_retention_days"),
            (#"{"message_retention_days":3651}"#, "message_retention_days"),
            (#"{"message_retention_days":90.5}"#, "message_retention_days"),
            (#"{"message_retention_days":"90"}"#, "message_retention_days"),
            (#"{"message_retention_days":true}"#, "message_retention_days"),
            (#"{"message_retention_days":null}"#, "message_retention_days"),
            (#"{"message_retention_days":0}"#, "message_retention_days"),
            (#"{"return_to_ai_after_minutes":-1}"#, "return_to_ai_after_minutes"),
            (#"{"return_to_ai_after_minutes":10081}"#, "return_to_ai_after_minutes"),
            (#"{"return_to_ai_after_minutes":1.5}"#, "return_to_ai_after_minutes"),
            (#"{"return_to_ai_after_minutes":"5"}"#, "return_to_ai_after_minutes"),
            (#"{"message_retention_days":90,"return_to_ai_after_minutes":[5]}"#, "return_to_ai_after_minutes"),
        ]
        for (conversations, field) in refused {
            do {
                _ = try await update(conversations)
                Issue.record("accepted \(conversations)")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument, "\(conversations)")
                #expect(error.message.hasPrefix("settings.conversations.\(field) must be a whole number from"))
            }
        }
        // Nothing refused was stored.
        let stored = try await fixture.call(
            Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(), as: admin)
        #expect(stored.settings == "{}")

        for accepted in [
            #"{"message_retention_days":30}"#, #"{"message_retention_days":3650}"#,
            #"{"return_to_ai_after_minutes":0}"#, #"{"return_to_ai_after_minutes":1}"#,
            #"{"return_to_ai_after_minutes":10080,"message_retention_days":365}"#, #"{"other":"kept"}"#, "{}",
        ] {
            _ = try await update(accepted)
        }
        _ = try await fixture.call(
            Identity.Service.updateOrganizationSettings,
            Identity.UpdateOrganizationSettingsRequest(settings: #"{"conversations":"any text","language":"pt-BR"}"#),
            as: admin)
    }
}
