import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Organization settings and branding: JSON objects, read by members, written by admins")
struct OrganizationSettingsTests {
    static func decode(_ text: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    @Test("an admin replaces settings and branding; each member of the organization reads them")
    func readAndUpdate() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let initial = try await fixture.call(
            Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(), as: admin)
        #expect(try Self.decode(initial.settings).isEmpty && Self.decode(initial.branding).isEmpty)

        let updated = try await fixture.call(
            Identity.Service.updateOrganizationSettings,
            Identity.UpdateOrganizationSettingsRequest(branding: ##"{"primary_color": "#112233"}"##), as: admin)
        #expect(try Self.decode(updated.branding) == ["primary_color": "#112233"])
        #expect(try Self.decode(updated.settings).isEmpty)
        _ = try await fixture.call(
            Identity.Service.updateOrganizationSettings,
            Identity.UpdateOrganizationSettingsRequest(settings: #"{"language": "pt-BR"}"#), as: admin)

        let consultant = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        let read = try await fixture.call(
            Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(), as: consultant)
        #expect(try Self.decode(read.settings) == ["language": "pt-BR"])
        #expect(try Self.decode(read.branding) == ["primary_color": "#112233"])
    }

    @Test("only admins write; non-objects and documents over 16 KiB are INVALID_ARGUMENT")
    func rules() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        for role in ["manager", "consultant"] {
            let member = try await UsersTests.member(of: signUp.organization!, role: role, fixture: fixture)
            #expect(
                await fixture.failure {
                    try await fixture.call(
                        Identity.Service.updateOrganizationSettings,
                        Identity.UpdateOrganizationSettingsRequest(settings: "{}"), as: member)
                } == .permissionDenied)
        }
        let large = #"{"notes": ""# + String(repeating: "x", count: 17 * 1024) + #""}"#
        let deep = String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40)
        for text in ["[1, 2]", "\"text\"", "{not json", "null", large, deep, #"{"x": "a\u0000b"}"#, #"{"\u0000": 1}"#] {
            #expect(
                await fixture.failure {
                    try await fixture.call(
                        Identity.Service.updateOrganizationSettings,
                        Identity.UpdateOrganizationSettingsRequest(settings: text), as: admin)
                } == .invalidArgument)
        }
        let unchanged = try await fixture.call(
            Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(), as: admin)
        #expect(try Self.decode(unchanged.settings).isEmpty)
    }

    @Test("each organization reads and writes only its own settings")
    func tenantIsolation() async throws {
        let fixture = try await IdentityFixture.shared()
        let first = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        let second = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        _ = try await fixture.call(
            Identity.Service.updateOrganizationSettings,
            Identity.UpdateOrganizationSettingsRequest(settings: #"{"owner": "first"}"#), as: first)
        let other = try await fixture.call(
            Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(), as: second)
        #expect(try Self.decode(other.settings).isEmpty)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(),
                    as: Principal())
            } == .unauthenticated)
    }
}
