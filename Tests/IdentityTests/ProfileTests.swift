import Contracts
import Foundation
import RPC
import Testing

@testable import IdentityService

@Suite("Users edit their own profile")
struct ProfileTests {
    @Test("full name and avatar change; absent fields stay; bad values are INVALID_ARGUMENT")
    func updateProfile() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let me = try await fixture.principal(for: signUp.tokens!.accessToken)
        let renamed = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(fullName: "  Ada Lovelace "), as: me)
        #expect(renamed.user?.fullName == "Ada Lovelace" && renamed.user?.avatarUrl == "")
        let avatar = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(avatarUrl: "https://example.com/a.png"), as: me)
        #expect(avatar.user?.fullName == "Ada Lovelace" && avatar.user?.avatarUrl == "https://example.com/a.png")
        let cleared = try await fixture.call(Identity.Service.updateMe, Identity.UpdateMeRequest(avatarUrl: ""), as: me)
        #expect(cleared.user?.avatarUrl == "")
        for request in [
            Identity.UpdateMeRequest(fullName: " "), Identity.UpdateMeRequest(avatarUrl: "javascript:alert(1)"),
        ] {
            #expect(
                await fixture.failure { try await fixture.call(Identity.Service.updateMe, request, as: me) }
                    == .invalidArgument)
        }
    }
}
