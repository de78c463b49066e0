import Contracts
import Foundation
import Testing

@testable import IdentityService

@Suite("GetMe answers are cached for at most a second and dropped by any change")
struct ProfileCacheTests {
    let user = UUID()

    func response(_ name: String) -> Identity.GetMeResponse {
        Identity.GetMeResponse(user: Identity.User(id: user.uuidString.lowercased(), fullName: name))
    }

    @Test("an answer is reused until it expires")
    func expiry() async throws {
        let cache = ProfileCache()
        cache.store(response("Ada"), for: user, generation: cache.generation)
        #expect(cache.answer(for: user)?.user?.fullName == "Ada")
        #expect(cache.answer(for: UUID()) == nil)
        try await Task.sleep(for: ProfileCache.maxAge + .milliseconds(50))
        #expect(cache.answer(for: user) == nil)
    }

    @Test("a change drops every answer, and an answer computed across a change is not kept")
    func invalidation() {
        let cache = ProfileCache()
        cache.store(response("Ada"), for: user, generation: cache.generation)
        cache.invalidateAll()
        #expect(cache.answer(for: user) == nil)
        let before = cache.generation
        cache.invalidateAll()  // a write ran while the answer was being read
        cache.store(response("stale"), for: user, generation: before)
        #expect(cache.answer(for: user) == nil)
    }

    @Test("through the handlers, an edit shows at once in GetMe on the same replica")
    func editShowsAtOnce() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let principal = try await fixture.principal(for: signUp.tokens!.accessToken)
        let first = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: principal)
        #expect(first.user?.fullName == "Ada Admin" && first.organization?.slug == signUp.organization?.slug)
        _ = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(fullName: "Ada Lovelace"), as: principal)
        let second = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: principal)
        #expect(second.user?.fullName == "Ada Lovelace")
    }
}
